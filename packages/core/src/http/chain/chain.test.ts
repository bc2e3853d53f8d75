import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../events.js';
import { problem } from '../problem/problem.js';
import { createChain, type ChainOutcome } from './chain.js';
import { nodeHeaderReader, type RequestInput } from './request.js';
import { CONTINUE, contextKey, deny, type Guard, type Verdict } from './types.js';

function input(overrides: Partial<RequestInput> = {}, headers: Record<string, string> = {}): RequestInput {
  return { method: 'get', target: '/a/b?x=1', header: nodeHeaderReader(headers), peerAddress: '203.0.113.7', tls: false, ...overrides };
}

const sync = (outcome: ChainOutcome | Promise<ChainOutcome>): ChainOutcome => {
  if (outcome instanceof Promise) throw new Error('expected a synchronous run');
  return outcome;
};

describe('createChain', () => {
  it('runs guards in order and stops at the first refusal', async () => {
    const seen: string[] = [];
    const named = (name: string, verdict: Verdict = CONTINUE): Guard => () => {
      seen.push(name);
      return verdict;
    };
    const forbidden = deny(problem(403, 'x', 'Forbidden'));
    const outcome = sync(createChain({ guards: [named('a'), named('b', forbidden), named('c')] }).run(input()));
    expect(seen).toEqual(['a', 'b']);
    expect(outcome.verdict).toBe(forbidden);

    const asyncOutcome = await createChain({ guards: [named('a'), async () => Promise.resolve(CONTINUE), named('d')] }).run(input());
    expect(asyncOutcome.verdict).toBe(CONTINUE);
    expect(seen).toEqual(['a', 'b', 'a', 'd']);
  });

  it('stays synchronous while every guard is', () => {
    const outcome = createChain({ guards: [() => CONTINUE, () => CONTINUE] }).run(input());
    expect(outcome).not.toBeInstanceOf(Promise);
  });

  it('attack: a guard that throws fails closed with a generic 500 that leaks nothing', async () => {
    const events: SecurityEvent[] = [];
    const boom: Guard = () => {
      throw new Error('SELECT * FROM users WHERE password = ...');
    };
    const after: Guard = () => {
      throw new Error('must not run');
    };
    for (const guards of [[boom, after], [async () => Promise.reject(new TypeError('db down: postgres://u:p@h')), after]]) {
      const outcome = await createChain({ guards, events: (event) => events.push(event) }).run(input());
      expect(outcome.verdict.action).toBe('deny');
      if (outcome.verdict.action !== 'deny') return;
      expect(outcome.verdict.problem.status).toBe(500);
      expect(JSON.stringify(outcome.verdict.problem)).not.toMatch(/SELECT|postgres|must not/);
    }
    expect(events.map((event) => event.type)).toEqual(['http.guard_failed', 'http.guard_failed']);
    expect(events[0]?.attributes?.correlationId).toBeTypeOf('string');
  });

  it('attack: without trusted proxies, X-Forwarded-For and Forwarded do not change the client ip or scheme', () => {
    let ip = '';
    let secure = true;
    const spy: Guard = (request) => {
      ip = request.clientIp;
      secure = request.secure;
      return CONTINUE;
    };
    sync(
      createChain({ guards: [spy] }).run(
        input({}, { 'x-forwarded-for': '1.2.3.4', forwarded: 'for=1.2.3.4;proto=https', 'x-forwarded-proto': 'https' }),
      ),
    );
    expect(ip).toBe('203.0.113.7');
    expect(secure).toBe(false);
  });

  it('gives guards a typed per-request context and collects their headers', () => {
    const nonce = contextKey<string>('nonce');
    const writer: Guard = (_request, context) => {
      context.set(nonce, 'n-1');
      context.response.set('x-a', '1');
      context.response.appendList('vary', 'Origin');
      context.response.appendList('vary', 'origin');
      context.response.appendList('vary', 'Accept-Encoding');
      context.response.addCookie('a=b');
      return CONTINUE;
    };
    const reader: Guard = (_request, context) => (context.get(nonce) === 'n-1' ? CONTINUE : deny(problem(500, 'x', 'x')));
    const outcome = sync(createChain({ guards: [writer, reader] }).run(input()));
    expect(outcome.verdict).toBe(CONTINUE);
    expect(Object.fromEntries(outcome.headers.entries())).toEqual({ 'x-a': '1', vary: 'Origin, Accept-Encoding' });
    expect(outcome.headers.cookies).toEqual(['a=b']);
  });

  it('parses path, cookies and url lazily from the raw request', () => {
    const outcome = sync(
      createChain({ guards: [] }).run(input({ target: 'http://proxy.example/x/y?q#f' }, { cookie: 'a=1; a=2; b=3', host: 'api.example' })),
    );
    expect(outcome.request.path).toBe('/x/y');
    expect(outcome.request.cookies.get('a')).toBe('1');
    expect(sync(createChain({ guards: [] }).run(input({}, { host: 'api.example:8080' }))).request.url.href).toBe('http://api.example:8080/a/b?x=1');
    expect(sync(createChain({ guards: [] }).run(input({}, { host: 'bad host\r\n' }))).request.url.pathname).toBe('/a/b');
  });

  it('uses a well-formed traceparent as the correlation id', () => {
    const outcome = sync(createChain({ guards: [] }).run(input({}, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })));
    expect(outcome.context.correlationId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});
