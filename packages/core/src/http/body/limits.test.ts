import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { createChain, type ChainOutcome } from '../chain/chain.js';
import { nodeHeaderReader } from '../chain/request.js';
import { PROBLEM_CONTENT_TYPE, problemBody } from '../problem/problem.js';
import { BODY_LIMIT, bodyLimits, type BodyLimitsOptions } from './limits.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function send(options: BodyLimitsOptions, method: string, target: string, headers: Record<string, string>, events: SecurityEvent[] = []): ChainOutcome {
  const chain = createChain({ guards: [bodyLimits(options)], events: (event) => events.push(event) });
  const outcome = chain.run({ method, target, header: nodeHeaderReader(headers), peerAddress: '203.0.113.7', tls: true });
  if (outcome instanceof Promise) throw new Error('the body guard is synchronous');
  return outcome;
}

function status(outcome: ChainOutcome): number {
  return outcome.verdict.action === 'deny' ? outcome.verdict.problem.status : 200;
}

const json = { 'content-type': 'application/json' };

describe('bodyLimits: size', () => {
  it('attack: an oversized declared body is refused with 413 before it is read', () => {
    const events: SecurityEvent[] = [];
    const outcome = send({}, 'POST', '/orders', { ...json, 'content-length': '102401', traceparent: TRACEPARENT }, events);
    expect(status(outcome)).toBe(413);
    expect(events.map((event) => [event.type, event.attributes?.reason])).toEqual([['http.body.refused', 'too_large']]);
    if (outcome.verdict.action !== 'deny') throw new Error('expected a refusal');
    // RFC 9457 body with the correlation id from traceparent; nothing else.
    expect(problemBody(outcome.verdict.problem, outcome.context.correlationId)).toEqual({
      type: 'https://rampart.dev/problems/body-too-large',
      title: 'Content Too Large',
      status: 413,
      code: 'body.too_large',
      detail: 'The request body is larger than this endpoint accepts.',
      correlationId: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
    expect(PROBLEM_CONTENT_TYPE).toBe('application/problem+json');
  });

  it('lets a body at the limit through and tells the adapter the limit', () => {
    const outcome = send({}, 'POST', '/orders', { ...json, 'content-length': '102400' });
    expect(status(outcome)).toBe(200);
    expect(outcome.context.get(BODY_LIMIT)).toBe(102_400);
    expect(send({}, 'POST', '/orders', { ...json, 'transfer-encoding': 'chunked' }).context.get(BODY_LIMIT)).toBe(102_400);
  });

  it('route rules raise or lower the limit, first match wins', () => {
    const options: BodyLimitsOptions = {
      routes: [
        { method: 'PUT', path: '/avatar', maxBytes: 1_000_000, contentTypes: ['image/png'] },
        { path: '/uploads/*', maxBytes: 500_000 },
        { path: '/tiny', maxBytes: 10 },
      ],
    };
    expect(status(send(options, 'PUT', '/avatar', { 'content-type': 'image/png', 'content-length': '900000' }))).toBe(200);
    expect(status(send(options, 'POST', '/avatar', { 'content-type': 'image/png', 'content-length': '900000' }))).toBe(413);
    expect(status(send(options, 'POST', '/uploads/a?x=1', { ...json, 'content-length': '400000' }))).toBe(200);
    expect(status(send(options, 'POST', '/tiny', { ...json, 'content-length': '11' }))).toBe(413);
  });

  it('attack: dot segments and encoded slashes do not borrow a route’s looser limit', () => {
    const options: BodyLimitsOptions = { routes: [{ path: '/uploads/*', maxBytes: 500_000 }] };
    for (const target of ['/uploads/../admin', '/uploads/%2e%2e/admin', '/uploads/..%2fadmin', '/uploads/.\\admin', '/uploads/./x']) {
      expect(status(send(options, 'POST', target, { ...json, 'content-length': '400000' }))).toBe(413);
    }
  });
});

describe('bodyLimits: framing', () => {
  it('attack: Content-Length that is not one plain number is refused with 400', () => {
    for (const length of ['-1', '1e3', '0x10', ' 10', '10, 10', '10,20', '+5', '', 'abc', '9999999999999999']) {
      expect(status(send({}, 'POST', '/', { ...json, 'content-length': length }))).toBe(400);
    }
  });

  it('attack: Content-Length with Transfer-Encoding (request smuggling) is refused with 400', () => {
    expect(status(send({}, 'POST', '/', { ...json, 'content-length': '4', 'transfer-encoding': 'chunked' }))).toBe(400);
    expect(status(send({}, 'POST', '/', { ...json, 'content-length': '0', 'transfer-encoding': 'chunked' }))).toBe(400);
    expect(status(send({}, 'POST', '/', { ...json, 'transfer-encoding': 'gzip, chunked' }))).toBe(400);
    expect(status(send({}, 'POST', '/', { ...json, 'transfer-encoding': 'Chunked' }))).toBe(200);
  });

  it('requests without a body pass untouched', () => {
    expect(status(send({}, 'GET', '/', {}))).toBe(200);
    expect(status(send({}, 'POST', '/', {}))).toBe(200);
    expect(status(send({}, 'POST', '/', { 'content-length': '0', 'content-type': 'text/plain' }))).toBe(200);
    expect(status(send({}, 'GET', '/', { 'content-length': '00' }))).toBe(200);
  });

  it('attack: a body on GET or HEAD is refused unless the route names allowBodyOnGet', () => {
    expect(status(send({}, 'GET', '/search', { ...json, 'content-length': '2' }))).toBe(400);
    expect(status(send({}, 'HEAD', '/search', { ...json, 'transfer-encoding': 'chunked' }))).toBe(400);
    const events: SecurityEvent[] = [];
    const options: BodyLimitsOptions = { routes: [{ method: 'GET', path: '/search', allowBodyOnGet: true }], events: (event) => events.push(event) };
    expect(status(send(options, 'GET', '/search', { ...json, 'content-length': '2' }))).toBe(200);
    expect(status(send(options, 'HEAD', '/search', { ...json, 'content-length': '2' }))).toBe(400);
    expect(events.filter((event) => event.type === 'config.loosened').map((event) => event.attributes?.option)).toEqual(['allowBodyOnGet', 'allowBodyOnGet']);
  });

  it('attack: a compressed body (decompression bomb) is refused unless the coding is named', () => {
    const outcome = send({}, 'POST', '/', { ...json, 'content-length': '100', 'content-encoding': 'gzip' });
    expect(status(outcome)).toBe(415);
    if (outcome.verdict.action === 'deny') expect(outcome.verdict.problem.headers).toEqual({ 'accept-encoding': 'identity' });
    expect(status(send({}, 'POST', '/', { ...json, 'content-length': '100', 'content-encoding': 'identity' }))).toBe(200);
    expect(status(send({ allowContentEncodings: ['gzip'] }, 'POST', '/', { ...json, 'content-length': '100', 'content-encoding': 'GZIP' }))).toBe(200);
  });
});

describe('bodyLimits: media type', () => {
  const body = { 'content-length': '10' };

  it('attack: a wrong or missing content type is refused with 415', () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json-patch+json',
      'application/jsonx',
      'application/json, text/plain',
      'application/json; charset=utf-16',
      'application/json; charset=utf-7',
      'application/json; charset=utf-8; charset=utf-16',
      'application/json; Charset=UTF-16',
      'application/json\r\nX-Injected: 1',
      'application/json\u0000',
      'application/\u212Aj',
      '*/*',
      `application/json; ${'x'.repeat(300)}`,
    ]) {
      const outcome = send({}, 'POST', '/', { ...body, 'content-type': type });
      expect(status(outcome)).toBe(415);
      if (outcome.verdict.action !== 'deny') continue;
      expect(JSON.stringify(problemBody(outcome.verdict.problem, outcome.context.correlationId))).not.toContain(type);
    }
    expect(status(send({}, 'POST', '/', body))).toBe(415);
  });

  it('names the accepted types on POST and PATCH (Accept-Post, Accept-Patch)', () => {
    const post = send({}, 'POST', '/', { ...body, 'content-type': 'text/plain' });
    const patch = send({ contentTypes: ['application/merge-patch+json'] }, 'PATCH', '/', { ...body, 'content-type': 'text/plain' });
    if (post.verdict.action !== 'deny' || patch.verdict.action !== 'deny') throw new Error('expected refusals');
    expect(post.verdict.problem.headers).toEqual({ 'accept-post': 'application/json' });
    expect(patch.verdict.problem.headers).toEqual({ 'accept-patch': 'application/merge-patch+json' });
  });

  it('accepts the allowed type however it is spelled', () => {
    for (const type of ['application/json', 'Application/JSON', 'application/json; charset=utf-8', 'application/json;charset="UTF-8"', 'application/json ; charset=utf8', 'application/json; foo=bar']) {
      expect(status(send({}, 'POST', '/', { ...body, 'content-type': type }))).toBe(200);
    }
    expect(status(send({ contentTypes: ['text/csv'] }, 'POST', '/', { ...body, 'content-type': 'text/csv; charset=latin1' }))).toBe(200);
  });

  it('never throws on arbitrary content types and lengths', () => {
    const guard = bodyLimits();
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.string({ maxLength: 20 }), fc.constantFrom('POST', 'GET', 'PATCH'), (type, length, method) => {
        const chain = createChain({ guards: [guard] });
        const outcome = chain.run({ method, target: '/', header: nodeHeaderReader({ 'content-type': type, 'content-length': length }), peerAddress: '::1', tls: false });
        if (outcome instanceof Promise) throw new Error('synchronous');
        expect([200, 400, 413, 415]).toContain(status(outcome));
      }),
    );
  });
});

describe('bodyLimits: configuration', () => {
  it('refuses invalid options at build', () => {
    for (const options of [
      { maxBytes: -1 },
      { maxBytes: 1.5 },
      { contentTypes: ['json'] },
      { contentTypes: ['application/*'] },
      { contentTypes: ['application/json; charset=utf-8'] },
      { routes: [{ path: 'upload' }] },
      { routes: [{ path: '/a*b' }] },
      { routes: [{ path: '/a', method: 'post' }] },
      { routes: [{ path: '/a', maxBytes: Number.NaN }] },
    ] as BodyLimitsOptions[]) {
      expect(() => bodyLimits(options)).toThrow(ConfigurationError);
    }
  });
});
