import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { correlationIdFrom } from './correlation.js';
import { INTERNAL_ERROR, problem, problemBody } from './problem.js';

describe('problem details', () => {
  it('serializes to RFC 9457 members plus the correlation id, and nothing else', () => {
    const body = problemBody(problem(403, 'csrf', 'Forbidden', { detail: 'Cross-site request refused.', code: 'csrf.cross_site', headers: { a: 'b' } }), 'abc');
    expect(body).toEqual({
      type: 'https://rampart.dev/problems/csrf',
      title: 'Forbidden',
      status: 403,
      detail: 'Cross-site request refused.',
      code: 'csrf.cross_site',
      correlationId: 'abc',
    });
  });

  it('adds extension members (RFC 9457 §3.2), which can never overwrite a standard member or the correlation id', () => {
    const value = problem(400, 'validation', 'Bad Request', { extensions: { errors: [{ pointer: '/a', rule: 'type' }], status: 200, type: 'x', correlationId: 'forged' } });
    expect(problemBody(value, 'abc')).toEqual({
      errors: [{ pointer: '/a', rule: 'type' }],
      type: 'https://rampart.dev/problems/validation',
      title: 'Bad Request',
      status: 400,
      correlationId: 'abc',
    });
  });

  it('the internal error problem carries no detail of the error', () => {
    expect(JSON.stringify(problemBody(INTERNAL_ERROR, 'x'))).not.toMatch(/stack|SQL|Error:/i);
  });
});

describe('correlationIdFrom', () => {
  it('reuses the trace-id of a well-formed traceparent', () => {
    expect(correlationIdFrom('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('attack: log-injection and malformed traceparents are never echoed', () => {
    for (const hostile of [
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nX-Injected: 1',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '<script>alert(1)</script>',
      '',
    ]) {
      const id = correlationIdFrom(hostile);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (input) => {
        expect(correlationIdFrom(input)).toMatch(/^(?:[0-9a-f]{32}|[0-9a-f-]{36})$/);
      }),
    );
  });
});
