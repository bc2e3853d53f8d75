import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, send, type Reply } from './client.js';
import { openSession, sameOrigin, type Session } from './session.js';
import { ADAPTERS, MAX_BODY_BYTES, prototypePolluted, startApp, type RunningApp } from './servers.js';

function expectProblem(reply: Reply, status: number): { code?: string; detail?: string } {
  expect(reply.status).toBe(status);
  expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = json(reply);
  expect(body.status).toBe(status);
  expect(typeof body.correlationId).toBe('string');
  return body;
}

describe.each(ADAPTERS)('request bodies through %s', (adapter) => {
  let app: RunningApp;
  let session: Session;

  /** A same-origin JSON POST with a valid CSRF token: only the body control can refuse it. */
  function postOrder(body: string | readonly string[], extra: Readonly<Record<string, string>> = {}): Promise<Reply> {
    return send(app.port, { method: 'POST', path: '/orders', headers: sameOrigin(session, { 'content-type': 'application/json', ...extra }), body });
  }

  beforeAll(async () => {
    app = await startApp(adapter);
    session = await openSession(app.port, 'body-session');
  });

  afterAll(async () => {
    await app.close();
  });

  it('a body within the limits is parsed', async () => {
    const reply = await postOrder(JSON.stringify({ note: 'x'.repeat(MAX_BODY_BYTES - 20) }));
    expect(reply.status).toBe(200);
  });

  it('attack: a body declared larger than the limit gets 413 before it is read', async () => {
    const reply = await postOrder(JSON.stringify({ note: 'x'.repeat(MAX_BODY_BYTES * 4) }));
    expect(expectProblem(reply, 413).code).toBe('body.too_large');
  });

  it('attack: a chunked body that grows past the limit gets 413 while it is read', async () => {
    const chunks = Array.from({ length: 16 }, (_, index) => (index === 0 ? '{"note":"' : 'x'.repeat(256)));
    const reply = await postOrder(chunks);
    expect(expectProblem(reply, 413).code).toBe('body.too_large');
  });

  it('attack: a deeply nested body gets 400', async () => {
    const depth = 200;
    const reply = await postOrder(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    expect(expectProblem(reply, 400).code).toBe('body.too_deep');
  });

  it('attack: malformed JSON gets 400 without an echo of the parser message', async () => {
    const reply = await postOrder('{"item": <script>alert(1)</script>');
    const body = expectProblem(reply, 400);
    expect(body.code).toBe('body.invalid_json');
    expect(reply.text).not.toMatch(/script|Unexpected token|position/);
  });

  it.each([
    ['__proto__', '{"__proto__": {"polluted": true, "isAdmin": true}}'],
    ['escaped __proto__', '{"\\u005f_proto__": {"polluted": true}}'],
    ['nested __proto__', '{"order": {"items": [{"__proto__": {"isAdmin": true}}]}}'],
    ['constructor.prototype', '{"constructor": {"prototype": {"polluted": true, "isAdmin": true}}}'],
  ])('attack: a %s payload is refused and pollutes nothing', async (_name, payload) => {
    const reply = await postOrder(payload);
    expect(expectProblem(reply, 400).code).toBe('body.forbidden_key');
    expect(prototypePolluted()).toBe(false);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('attack: form fields named __proto__ and constructor pollute nothing', async () => {
    const headers = sameOrigin(session, { 'content-type': 'application/x-www-form-urlencoded' });
    delete headers['x-csrf-token'];
    const body = `__proto__%5Bpolluted%5D=1&__proto__=x&constructor%5Bprototype%5D%5BisAdmin%5D=1&_csrf=${encodeURIComponent(session.token)}`;
    const reply = await send(app.port, { method: 'POST', path: '/form', headers, body });
    expect(reply.status).toBe(200);
    expect(json(reply).polluted).toBe(false);
    expect(prototypePolluted()).toBe(false);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=utf-16'])(
    'attack: content type %j on the JSON route gets 415',
    async (contentType) => {
      const reply = await postOrder('{"item":"book"}', { 'content-type': contentType });
      expect(expectProblem(reply, 415).code).toBe('body.unsupported_media_type');
    },
  );

  it('attack: a JSON body on the form route gets 415', async () => {
    const reply = await send(app.port, {
      method: 'POST',
      path: '/form',
      headers: sameOrigin(session, { 'content-type': 'application/json' }),
      body: '{"item":"book"}',
    });
    expectProblem(reply, 415);
  });
});
