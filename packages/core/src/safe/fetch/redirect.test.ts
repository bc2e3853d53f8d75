import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSafeFetch, type SafeFetch } from './client.js';
import { SsrfError } from './errors.js';
import { CORPUS_DNS, listen, listenSamePort, readCorpus, testResolver, type Handler, type Listener } from './testing.fixtures.js';

interface Echo {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A redirecting application on an allowed address: `/to?u=…&status=…`, `/loop`, `/chain?n=…`, `/echo`. */
const app: Handler = (request, response, body) => {
  const url = new URL(request.url ?? '/', 'http://app');
  const status = Number(url.searchParams.get('status') ?? '302');
  switch (url.pathname) {
    case '/to':
      response.writeHead(status, { location: url.searchParams.get('u') ?? '/' }).end('redirecting');
      return;
    case '/loop':
      response.writeHead(302, { location: '/loop' }).end();
      return;
    case '/chain': {
      const n = Number(url.searchParams.get('n') ?? '0');
      if (n > 0) response.writeHead(302, { location: `/chain?n=${n - 1}` }).end();
      else response.end('done');
      return;
    }
    case '/no-location':
      response.writeHead(301).end('moved, but not saying where');
      return;
    case '/two-locations':
      response.setHeader('location', ['/echo', 'http://127.0.0.1/']);
      response.writeHead(302).end();
      return;
    case '/echo':
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ method: request.method, headers: request.headers, body: body.toString() }));
      return;
    default:
      response.writeHead(404).end();
  }
};

let good: Listener;
let attack: Listener[];
let client: SafeFetch;

function reached(): number {
  return attack.reduce((sum, listener) => sum + listener.connections() + listener.requests(), 0);
}

/** A URL on the redirecting app that redirects to `target`. Non-ASCII targets are sent serialized, as a server would. */
function via(target: string, status = 302, host = 'good.test'): string {
  const location = /^[\x20-\x7e]*$/.test(target) ? target : new URL(target).href;
  return `http://${host}:${good.port}/to?status=${status}&u=${encodeURIComponent(location)}`;
}

async function refusal(promise: Promise<unknown>): Promise<SsrfError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof SsrfError)) throw new Error('expected an SsrfError', { cause: outcome });
  return outcome;
}

beforeAll(async () => {
  good = await listen('127.0.0.2', app);
  attack = await listenSamePort(['127.0.0.1', '::1']);
  client = createSafeFetch({
    allowInsecureHttp: true,
    allowPorts: [good.port, attack[0]!.port],
    allowAddresses: ['127.0.0.2/32'],
    resolver: testResolver({ ...CORPUS_DNS, 'good.test': ['127.0.0.2'], 'other.test': ['127.0.0.2'] }),
    stripOnCrossOriginRedirect: ['X-Api-Key'],
  });
});

afterAll(async () => {
  await client.close();
  await Promise.all([good.close(), ...attack.map((listener) => listener.close())]);
});

describe('safe/fetch: redirects are re-checked hop by hop', () => {
  it('attack: a redirect to the metadata service is refused at hop 1', async () => {
    const error = await refusal(client.fetch(via('http://169.254.169.254/latest/meta-data/')));
    expect(error.code).toBe('SSRF_BLOCKED_ADDRESS');
    expect(error.details).toMatchObject({ hop: 1, address: '169.254.169.254', range: 'linkLocal' });
    const byName = await refusal(client.fetch(via('http://metadata.google.internal/computeMetadata/v1/')));
    expect(byName.details).toMatchObject({ hop: 1, hostname: 'metadata.google.internal', range: 'linkLocal' });
  });

  it('attack: a redirect to the internal listener on 127.0.0.1 is refused and the listener is never reached', async () => {
    const error = await refusal(client.fetch(via(`http://127.0.0.1:${attack[0]!.port}/admin`)));
    expect(error.code).toBe('SSRF_BLOCKED_ADDRESS');
    expect(error.details).toMatchObject({ hop: 1, address: '127.0.0.1', range: 'loopback' });
    expect(reached()).toBe(0);
  });

  it('attack: every blocked-address URL of the corpus, used as a redirect target, is refused (301, 302, 303, 307, 308)', async () => {
    const statuses = [301, 302, 303, 307, 308];
    // As a Location, `http:127.0.0.1:…/` is a relative path on the redirecting host (WHATWG "special relative"
    // state), so it is no attack there; every other payload is absolute.
    const relative = 'http:127.0.0.1:{port}/';
    const payloads = readCorpus('blocked-urls.txt').filter((payload) => payload !== relative);
    expect(new URL(relative.replace('{port}', '1'), 'http://good.test/x').hostname).toBe('good.test');
    for (const [index, payload] of payloads.entries()) {
      const target = payload.replaceAll('{port}', String(attack[0]!.port));
      const error = await refusal(client.fetch(via(target, statuses[index % statuses.length])));
      expect({ target, code: error.code, hop: error.details.hop }).toEqual({ target, code: 'SSRF_BLOCKED_ADDRESS', hop: 1 });
    }
    expect(reached()).toBe(0);
    expect(good.requests()).toBeGreaterThanOrEqual(payloads.length);
  });

  it('attack: redirects to other schemes are refused', async () => {
    for (const target of ['file:///etc/passwd', `gopher://127.0.0.1:${attack[0]!.port}/_x`, 'dict://127.0.0.1:11211/stat', 'data:text/plain,x', 'ftp://127.0.0.1/']) {
      expect((await refusal(client.fetch(via(target)))).code).toBe('SSRF_SCHEME');
    }
    expect(reached()).toBe(0);
  });

  it('attack: a redirect off the host allowlist, or to a URL with credentials, is refused at hop 1', async () => {
    const listed = createSafeFetch({
      allowInsecureHttp: true,
      allowPorts: [good.port],
      allowAddresses: ['127.0.0.2/32'],
      allowHosts: ['good.test'],
      resolver: testResolver({ 'good.test': ['127.0.0.2'], 'other.test': ['127.0.0.2'] }),
    });
    const before = good.requests();
    const offList = await refusal(listed.fetch(via(`http://other.test:${good.port}/echo`)));
    expect(offList.details).toMatchObject({ hop: 1, hostname: 'other.test' });
    expect(offList.code).toBe('SSRF_DESTINATION_NOT_ALLOWED');
    expect((await refusal(listed.fetch(via(`http://good.test@127.0.0.1:${attack[0]!.port}/`)))).code).toBe('SSRF_CREDENTIALS_IN_URL');
    expect(good.requests() - before).toBe(2); // only the redirecting hops reached the app
    await listed.close();
    expect(reached()).toBe(0);
  });

  it('attack: a redirect loop stops at maxRedirects', async () => {
    const before = good.requests();
    const error = await refusal(client.fetch(`http://good.test:${good.port}/loop`));
    expect(error.code).toBe('SSRF_TOO_MANY_REDIRECTS');
    expect(error.details.hop).toBe(6);
    expect(good.requests() - before).toBe(6); // the first request and 5 redirects
  });

  it('follows exactly maxRedirects, and refuses one more', async () => {
    const response = await client.fetch(`http://good.test:${good.port}/chain?n=5`);
    expect(await response.text()).toBe('done');
    expect(response.redirected).toBe(true);
    expect(response.url).toBe(`http://good.test:${good.port}/chain?n=0`);
    expect((await refusal(client.fetch(`http://good.test:${good.port}/chain?n=6`))).code).toBe('SSRF_TOO_MANY_REDIRECTS');
    const strict = createSafeFetch({ allowInsecureHttp: true, allowPorts: [good.port], allowAddresses: ['127.0.0.2/32'], maxRedirects: 0 });
    expect((await refusal(strict.fetch(`http://127.0.0.2:${good.port}/chain?n=1`))).code).toBe('SSRF_TOO_MANY_REDIRECTS');
    await strict.close();
  });

  it("redirect: 'manual' returns the 3xx untouched; 'error' refuses it", async () => {
    const target = `http://127.0.0.1:${attack[0]!.port}/`;
    const manual = await client.fetch(via(target), { redirect: 'manual' });
    expect(manual.status).toBe(302);
    expect(manual.headers.get('location')).toBe(target);
    expect(await manual.text()).toBe('redirecting');
    expect((await refusal(client.fetch(via(target), { redirect: 'error' }))).code).toBe('SSRF_REDIRECT_REFUSED');
    expect(reached()).toBe(0);
    // A 3xx without Location is a final response, as in fetch.
    const noLocation = await client.fetch(`http://good.test:${good.port}/no-location`);
    expect(noLocation.status).toBe(301);
    expect(noLocation.redirected).toBe(false);
  });

  it('attack: an unparsable Location, or two of them, is refused', async () => {
    expect((await refusal(client.fetch(via('http://[::1')))).code).toBe('SSRF_INVALID_URL');
    expect((await refusal(client.fetch(`http://good.test:${good.port}/two-locations`))).code).toBe('SSRF_INVALID_URL');
  });
});

describe('safe/fetch: credentials and methods across redirects', () => {
  const secrets = {
    authorization: 'Bearer secret-token',
    cookie: 'session=secret',
    'proxy-authorization': 'Basic c2VjcmV0',
    'x-api-key': 'secret-key',
    'x-trace': 'kept',
  };

  it('attack: Authorization, Cookie, Proxy-Authorization and configured headers are not forwarded to another origin', async () => {
    const response = await client.fetch(via(`http://other.test:${good.port}/echo`), { headers: secrets });
    const echo = (await response.json()) as Echo;
    expect(echo.headers.host).toBe(`other.test:${good.port}`);
    expect(echo.headers['x-trace']).toBe('kept');
    for (const name of ['authorization', 'cookie', 'proxy-authorization', 'x-api-key']) expect(echo.headers[name]).toBeUndefined();
    // The first hop did receive them: they were stripped because of the origin change, not lost.
    expect(good.seen.at(-2)?.headers.authorization).toBe('Bearer secret-token');
  });

  it('attack: once stripped they stay stripped, even when a later hop comes back to the first origin', async () => {
    const back = `http://good.test:${good.port}/echo`;
    const bounce = `http://other.test:${good.port}/to?u=${encodeURIComponent(back)}`;
    const echo = (await (await client.fetch(via(bounce), { headers: secrets })).json()) as Echo;
    expect(echo.headers.authorization).toBeUndefined();
    expect(echo.headers.cookie).toBeUndefined();
  });

  it('keeps credentials on a same-origin redirect', async () => {
    const echo = (await (await client.fetch(via('/echo'), { headers: secrets })).json()) as Echo;
    expect(echo.headers.authorization).toBe('Bearer secret-token');
    expect(echo.headers.cookie).toBe('session=secret');
  });

  it('a port or scheme change is an origin change', async () => {
    const other = await listen('127.0.0.2', app);
    const twoPorts = createSafeFetch({
      allowInsecureHttp: true,
      allowPorts: [good.port, other.port],
      allowAddresses: ['127.0.0.2/32'],
      resolver: testResolver({ 'good.test': ['127.0.0.2'] }),
    });
    const echo = (await (await twoPorts.fetch(via(`http://good.test:${other.port}/echo`), { headers: secrets })).json()) as Echo;
    expect(echo.headers.authorization).toBeUndefined();
    await twoPorts.close();
    await other.close();
  });

  it('rewrites methods like fetch: 301/302 POST→GET, 303 anything→GET (HEAD stays), 307/308 keep method and body', async () => {
    const cases: [number, string, string, string][] = [
      [301, 'POST', 'GET', ''],
      [302, 'POST', 'GET', ''],
      [303, 'POST', 'GET', ''],
      [303, 'PUT', 'GET', ''],
      [302, 'PUT', 'PUT', 'payload'],
      [307, 'POST', 'POST', 'payload'],
      [308, 'PUT', 'PUT', 'payload'],
      [308, 'DELETE', 'DELETE', 'payload'],
    ];
    for (const [status, method, expectedMethod, expectedBody] of cases) {
      const response = await client.fetch(via('/echo', status), { method, body: 'payload', headers: { 'content-type': 'text/plain', 'content-language': 'en' } });
      const echo = (await response.json()) as Echo;
      expect({ status, method, got: echo.method, body: echo.body }).toEqual({ status, method, got: expectedMethod, body: expectedBody });
      if (expectedMethod === 'GET') expect(echo.headers['content-type']).toBeUndefined();
    }
    const head = await client.fetch(via('/echo', 303), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(good.seen.at(-1)?.method).toBe('HEAD');
    expect(head.body).toBeNull();
  });
});
