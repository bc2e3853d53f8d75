import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createServer, type RampartServer } from '../app.js';
import { loadConfig } from '../config/config.js';
import { ensureDataDir } from '../data-dir.js';
import { cleanLogMessage, type LogDestination } from './logging.js';

const root = mkdtempSync(join(tmpdir(), 'rampart-logging-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A pino destination writing into memory. */
class LogCapture implements LogDestination {
  text = '';
  write(line: string): void {
    this.text += line;
  }
  /** Every line, parsed: a line that is not one JSON object fails the test here. */
  records(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
  requestLines(): Record<string, unknown>[] {
    return this.records().filter((record) => record.msg === 'request');
  }
}

async function start(env: NodeJS.ProcessEnv = {}, routes?: (server: RampartServer) => void): Promise<{ server: RampartServer; url: string; logs: LogCapture }> {
  const cwd = mkdtempSync(join(root, 's'));
  const config = loadConfig({ env: { RAMPART_PORT: '0', RAMPART_LOG_LEVEL: 'debug', ...env }, cwd });
  ensureDataDir(config.dataDir);
  const logs = new LogCapture();
  const server = await createServer(config, { logDestination: logs });
  routes?.(server);
  return { server, url: await server.listen(), logs };
}

/** Sends raw bytes (latin1) and reads the whole answer: requests fetch() refuses to build. */
function rawRequest(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.end(Buffer.from(bytes, 'latin1'));
    });
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => {
      resolve(answer);
    });
    socket.on('error', reject);
  });
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('structured request logs', () => {
  it('write one JSON line per request: method, route pattern, status, duration and the correlation id', async () => {
    const { server, url, logs } = await start();
    await fetch(`${url}/readyz`, { headers: { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` } });
    await fetch(`${url}/no/such/path`);
    await vi.waitFor(() => {
      expect(logs.requestLines()).toHaveLength(2);
    });
    const [ready, missing] = logs.requestLines();
    expect(ready).toMatchObject({ level: 'debug', reqId: TRACE_ID, method: 'GET', route: '/readyz', status: 200 });
    expect(typeof ready?.durationMs).toBe('number');
    expect(typeof ready?.time).toBe('string');
    expect(missing).toMatchObject({ level: 'info', method: 'GET', route: '(unmatched)', status: 404 });
    expect(JSON.stringify(missing)).not.toContain('/no/such/path');
    await server.close();
  });

  it('log a refused request under the correlation id its problem response showed the client', async () => {
    const { server, url, logs } = await start();
    const refused = await fetch(`${url}/livez`, { method: 'POST', body: 'x'.repeat(100_000), headers: { 'content-type': 'application/json' } });
    expect(refused.status).toBe(413);
    const { correlationId } = (await refused.json()) as { correlationId: string };
    await vi.waitFor(() => {
      expect(logs.requestLines().find((line) => line.status === 413)).toMatchObject({ reqId: correlationId, route: '(unmatched)' });
    });
    await server.close();
  });

  it('leave no credential, cookie, query-string token or body in the logs', async () => {
    const { server, url, logs } = await start({}, ({ app }) => {
      app.post('/echo', () => ({ ok: true }));
      app.get('/fail', () => {
        throw new Error('cannot reach postgres://rampart:SECRET-IN-ERROR@db.internal/rampart');
      });
      // Fastify itself warns with the raw URL when a handler answers twice.
      app.get('/twice', (_request, reply) => {
        void reply.send('one');
        void reply.send('two');
      });
    });
    const credentials = { authorization: 'Bearer SECRET-BEARER', cookie: 'sid=SECRET-COOKIE; theme=dark' };
    await fetch(`${url}/livez?token=SECRET-QUERY&email=victim@example.com`, { headers: credentials });
    await fetch(`${url}/nope?token=SECRET-QUERY-404`, { headers: credentials });
    await fetch(`${url}/echo?token=SECRET-QUERY-POST`, { method: 'POST', headers: { ...credentials, 'content-type': 'application/json' }, body: '{"password":"SECRET-BODY","email":"victim@example.com"' });
    await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: 'SECRET-BODY-OK', note: 'SECRET-NOTE' }) });
    expect((await fetch(`${url}/fail?session=SECRET-QUERY-500`, { headers: credentials })).status).toBe(500);
    await fetch(`${url}/twice?token=SECRET-QUERY-TWICE&email=victim@example.com`, { headers: credentials });
    await vi.waitFor(() => {
      expect(logs.requestLines()).toHaveLength(6);
    });
    expect(logs.text).not.toMatch(/SECRET/);
    expect(logs.text).not.toContain('victim@example.com');
    // The server fault is there, with its message redacted, under the id the client saw.
    const failure = logs.records().find((record) => record.msg === 'request failed');
    expect(failure).toMatchObject({ level: 'error', err: { type: 'Error', status: 500 } });
    expect(JSON.stringify(failure)).toContain('postgres://rampart:');
    const twice = logs.records().find((record) => JSON.stringify(record).includes('Reply was already sent'));
    expect(JSON.stringify(twice)).toContain('/twice?[query removed]');
    await server.close();
  });

  it('censor headers, bodies and query objects by path when code logs them by hand', async () => {
    const { server, logs } = await start();
    server.app.log.info(
      {
        headers: { authorization: 'Bearer SECRET-1', cookie: 'SECRET-2', 'set-cookie': ['sid=SECRET-3'] },
        body: { email: 'victim@example.com', comment: 'plain words' },
        query: { q: 'victim@example.com' },
        outgoing: { body: 'victim@example.com' },
        req: { method: 'GET', url: '/x?email=victim@example.com', headers: { authorization: 'Bearer SECRET-4' } },
      },
      'by hand',
    );
    const [line] = logs.records().filter((record) => record.msg === 'by hand');
    expect(line).toMatchObject({ body: '[REDACTED]', query: '[REDACTED]', outgoing: { body: '[REDACTED]' }, req: { method: 'GET' } });
    expect(logs.text).not.toMatch(/SECRET|victim/);
    await server.close();
  });

  it('give each request a logger bound to its correlation id, built only when it logs (and redacting like the root)', async () => {
    const { server, url, logs } = await start({}, ({ app }) => {
      app.get('/quiet', () => ({ ok: true }));
      app.get('/talks', (request) => {
        request.log.warn({ headers: { authorization: 'Bearer SECRET-5' } }, 'handler says');
        request.log.child({ step: 'inner' }).info('nested says');
        return { ok: true };
      });
    });
    const child = vi.spyOn(server.app.log, 'child');
    await fetch(new URL('/quiet', url));
    expect(child).not.toHaveBeenCalled();
    await fetch(new URL('/talks', url), { headers: { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` } });
    const said = logs.records().find((record) => record.msg === 'handler says');
    const nested = logs.records().find((record) => record.msg === 'nested says');
    expect(said).toMatchObject({ level: 'warn', headers: { authorization: '[REDACTED]' } });
    expect(nested).toMatchObject({ level: 'info', step: 'inner' });
    expect(said?.reqId).toBe(TRACE_ID);
    expect(nested?.reqId).toBe(TRACE_ID);
    expect(logs.text).not.toContain('SECRET-5');
    await server.close();
  });

  it('cannot be forged: CR/LF, NEL and U+2028 from a request stay inside one escaped JSON line', async () => {
    const { server, url, logs } = await start({}, ({ app }) => {
      // A handler logging what the client sent, as login and account code will (a user name, an email).
      app.get('/greet/:name', (request) => {
        const { name } = request.params as { name: string };
        request.log.info({ name, note: request.headers['x-note'] }, `hello ${name}`);
        return { ok: true };
      });
    });
    const forged = '{"msg":"login ok","user":"root"}';
    const encoded = `x%0D%0A${encodeURIComponent(forged)}%E2%80%A8%C2%85%1B%5B2J`;
    expect((await fetch(`${url}/greet/${encoded}`)).status).toBe(200);
    // Raw bytes on the wire: the HTTP parser refuses CR/LF and bytes above 0x7F in the request line, but passes NEL
    // (0x85) and 8-bit CSI (0x9b) in a header value through to the handler.
    expect(await rawRequest(url, `GET /greet/a\r\n${forged} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400/);
    expect(await rawRequest(url, `GET /greet/a\x85b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400/);
    const answer = await rawRequest(url, `GET /greet/raw HTTP/1.1\r\nHost: x\r\nX-Note: a\x85${forged}\x9b2J\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    await vi.waitFor(() => {
      expect(logs.records().filter((record) => record.msg === 'request' && record.route === '/greet/:name')).toHaveLength(2);
    });
    const records = logs.records(); // every line parses as one JSON object
    expect(records.filter((record) => record.msg === 'login ok' || record.user === 'root')).toEqual([]);
    const greetings = records.filter((record) => typeof record.name === 'string');
    expect(greetings).toHaveLength(2);
    // Escaped, not merely JSON-encoded: these characters end a line for JavaScript viewers, terminals and log tools.
    // eslint-disable-next-line no-control-regex -- the control characters are what the attack sends
    expect(logs.text).not.toMatch(/[\r\u0085\u009b\u001b\u2028\u2029]/);
    expect(greetings[0]?.name).toContain('x\\r\\n{');
    expect(greetings[0]?.name).toContain('\\u2028');
    expect(greetings[0]?.msg).toContain('\\x1b[2J');
    expect(greetings[1]?.note).toBe(`a\\x85${forged}\\x9b2J`);
    await server.close();
  });

  it('takes its level from log.level: at warn, requests and debug lines are not written, server faults are', async () => {
    const { server, url, logs } = await start({ RAMPART_LOG_LEVEL: 'warn' }, ({ app }) => {
      app.get('/fail', () => {
        throw new Error('boom');
      });
    });
    await fetch(`${url}/livez`);
    await fetch(`${url}/fail`);
    await vi.waitFor(() => {
      expect(logs.requestLines()).toHaveLength(1);
    });
    expect(logs.requestLines()[0]).toMatchObject({ level: 'error', route: '/fail', status: 500 });
    expect(logs.records().every((record) => record.level === 'error' || record.level === 'warn')).toBe(true);
    await server.close();
  });
});

describe('cleanLogMessage', () => {
  it('cuts query strings, redacts secret shapes and escapes line breaks', () => {
    expect(cleanLogMessage('Route GET:/reset?token=abc&email=a@b.c not found')).toBe('Route GET:/reset?[query removed] not found');
    expect(cleanLogMessage('in "http://h/x?email=a@b.c" (GET)')).toBe('in "http://h/x?[query removed]" (GET)');
    expect(cleanLogMessage('did you forget to "return reply"?')).toBe('did you forget to "return reply"?');
    expect(cleanLogMessage('header Bearer abcdefghijklmnop1234')).not.toContain('abcdefghijklmnop1234');
    expect(cleanLogMessage('a\nb\u2028c')).toBe('a\\nb\\u2028c');
    // Linear on a pathological input (no timing assertion: it simply finishes).
    expect(cleanLogMessage('/'.repeat(100_000)).length).toBeGreaterThan(0);
  });
});
