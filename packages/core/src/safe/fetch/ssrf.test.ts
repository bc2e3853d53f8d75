import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSafeFetch, type SafeFetch } from './client.js';
import { SsrfError, type SsrfErrorCode } from './errors.js';
import { CORPUS_DNS, listenSamePort, readCorpus, testResolver, type Listener } from './testing.fixtures.js';

const DNS = CORPUS_DNS;

let attack: Listener[];
let port: number;

beforeAll(async () => {
  // The target: an internal service on 127.0.0.1 and ::1, same port, counting every connection and request.
  attack = await listenSamePort(['127.0.0.1', '::1']);
  port = attack[0]!.port;
});

afterAll(async () => {
  await Promise.all(attack.map((listener) => listener.close()));
});

function reached(): number {
  return attack.reduce((sum, listener) => sum + listener.connections() + listener.requests(), 0);
}

async function refusal(client: SafeFetch, url: string): Promise<SsrfError> {
  try {
    const response = await client.fetch(url);
    await response.body?.cancel();
  } catch (error) {
    if (error instanceof SsrfError) return error;
    throw error;
  }
  throw new Error(`not refused: ${url}`);
}

/** Runs every payload of a corpus file and expects each to be refused with `code`, without touching the listener. */
async function expectAllRefused(client: SafeFetch, file: string, code: SsrfErrorCode, rewrite: (url: string) => string = (url) => url): Promise<SsrfError[]> {
  const errors: SsrfError[] = [];
  for (const payload of readCorpus(file)) {
    const url = rewrite(payload.replaceAll('{port}', String(port)));
    const error = await refusal(client, url);
    expect({ url, code: error.code }).toEqual({ url, code });
    // The message is fixed per code: nothing of the attacker's URL reaches a client.
    expect(error.message).not.toContain(String(port));
    expect(error.message).not.toMatch(/127\.|localhost|::|nip\.io|example/i);
    expect(reached()).toBe(0);
    errors.push(error);
  }
  return errors;
}

describe('safe/fetch: SSRF variants against a real listener on 127.0.0.1 and ::1', () => {
  it('attack: every blocked-address URL is refused at the address layer, none reaches the listener', async () => {
    const resolver = testResolver(DNS);
    const client = createSafeFetch({ allowInsecureHttp: true, allowPorts: [port], resolver });
    const errors = await expectAllRefused(client, 'blocked-urls.txt', 'SSRF_BLOCKED_ADDRESS');
    expect(errors.length).toBeGreaterThanOrEqual(60);
    // Every refusal names a real range, and localhost names never went to DNS (RFC 6761).
    for (const error of errors) expect(error.details.range).toBeDefined();
    expect(resolver.asked.filter((name) => name.endsWith('localhost'))).toEqual([]);
    expect(errors.find((error) => error.details.hostname === 'metadata.google.internal')?.details).toMatchObject({ address: '169.254.169.254', range: 'linkLocal' });
    expect(errors.find((error) => error.details.hostname === 'mixed.example')?.details).toMatchObject({ address: '127.0.0.1', range: 'loopback' });
    await client.close();
    expect(reached()).toBe(0);
  });

  it('attack: the same URLs over https are refused the same way (the scheme is not what protects)', async () => {
    const client = createSafeFetch({ allowPorts: [port], resolver: testResolver(DNS) });
    await expectAllRefused(client, 'blocked-urls.txt', 'SSRF_BLOCKED_ADDRESS', (url) => url.replace(/^http:/, 'https:'));
    await client.close();
  });

  it('attack: with the defaults, http:// is refused before anything else', async () => {
    const resolver = testResolver(DNS);
    const client = createSafeFetch({ allowPorts: [port], resolver });
    await expectAllRefused(client, 'blocked-urls.txt', 'SSRF_SCHEME');
    expect(resolver.asked).toEqual([]);
    await client.close();
  });

  it('attack: other schemes (file, gopher, dict, ftp, data, jar, …) are refused even with allowInsecureHttp', async () => {
    const resolver = testResolver(DNS);
    const client = createSafeFetch({ allowInsecureHttp: true, allowPorts: [port, 6379, 11211, 22, 389], resolver });
    await expectAllRefused(client, 'scheme-urls.txt', 'SSRF_SCHEME');
    expect(resolver.asked).toEqual([]);
    await client.close();
  });

  it('attack: userinfo tricks are refused as credentials in the URL', async () => {
    const client = createSafeFetch({ allowPorts: [port], resolver: testResolver(DNS) });
    await expectAllRefused(client, 'credential-urls.txt', 'SSRF_CREDENTIALS_IN_URL');
    await client.close();
  });

  it('attack: backslash, fragment and query tricks go to good.com, the host the WHATWG parser reads — never to 127.0.0.1', async () => {
    const resolver = testResolver(DNS);
    const client = createSafeFetch({ allowPorts: [port], resolver });
    const errors = await expectAllRefused(client, 'confusion-urls.txt', 'SSRF_DNS_FAILED');
    for (const error of errors) expect(error.details.hostname).toBe('good.com');
    expect(new Set(resolver.asked)).toEqual(new Set(['good.com']));
    await client.close();
  });

  it('attack: ports of internal services are refused before DNS', async () => {
    const resolver = testResolver({ 'example.com': ['93.184.215.14'] });
    const client = createSafeFetch({ resolver });
    await expectAllRefused(client, 'port-urls.txt', 'SSRF_PORT_NOT_ALLOWED');
    expect(resolver.asked).toEqual([]);
    await client.close();
  });

  it('attack: malformed URLs are refused as invalid', async () => {
    const client = createSafeFetch({ allowInsecureHttp: true, resolver: testResolver(DNS) });
    await expectAllRefused(client, 'invalid-urls.txt', 'SSRF_INVALID_URL');
    await client.close();
  });

  it('attack: host allowlists and denylists refuse by name, before DNS', async () => {
    const resolver = testResolver(DNS);
    const allow = createSafeFetch({ allowInsecureHttp: true, allowPorts: [port], resolver, allowHosts: ['api.partner.example', '*.cdn.example'] });
    for (const url of ['http://public.example/', 'http://cdn.example/', 'http://evilcdn.example/', `http://127.0.0.1:${port}/`, 'http://api.partner.example.evil.com/']) {
      expect((await refusal(allow, url)).code).toBe('SSRF_DESTINATION_NOT_ALLOWED');
    }
    const deny = createSafeFetch({ allowInsecureHttp: true, resolver, denyHosts: ['public.example', '*.internal'] });
    for (const url of ['http://public.example/', 'http://PUBLIC.example./', 'http://metadata.google.internal/', 'http://a.b.internal/']) {
      expect((await refusal(deny, url)).code).toBe('SSRF_DESTINATION_NOT_ALLOWED');
    }
    expect(resolver.asked).toEqual([]);
    // An allowlisted name that resolves to a private address is still refused: the allowlist narrows, never loosens.
    const narrowed = createSafeFetch({ allowInsecureHttp: true, resolver, allowHosts: ['internal.example.com'] });
    expect((await refusal(narrowed, 'http://internal.example.com/')).details).toMatchObject({ address: '10.1.2.3', range: 'private' });
    await Promise.all([allow.close(), deny.close(), narrowed.close()]);
    expect(reached()).toBe(0);
  });

  it('with a named loosening, the same listener is reachable (the refusals above are the policy, not a broken client)', async () => {
    const client = createSafeFetch({ allowInsecureHttp: true, allowPorts: [port], allowAddresses: ['127.0.0.1/32', '::1/128'], resolver: testResolver(DNS) });
    for (const url of [`http://127.0.0.1:${port}/`, `http://2130706433:${port}/`, `http://[::ffff:7f00:1]:${port}/`, `http://localhost:${port}/`, `http://[::1]:${port}/`]) {
      const response = await client.fetch(url);
      expect({ url, status: response.status, text: await response.text() }).toEqual({ url, status: 200, text: 'internal secret' });
    }
    expect(attack.reduce((sum, listener) => sum + listener.requests(), 0)).toBe(5);
    // Only the named ranges: 0.0.0.0 (this host too, on Linux) and the rest of 127/8 stay refused.
    expect((await refusal(client, `http://0.0.0.0:${port}/`)).details.range).toBe('unspecified');
    expect((await refusal(client, `http://127.0.0.2:${port}/`)).details.range).toBe('loopback');
    await client.close();
  });

  it('baseline: Node’s own fetch does reach the listener with the same URLs (so the tests above can fail)', async () => {
    const sample = [
      'http://2130706433:{port}/',
      'http://0177.0.0.1:{port}/',
      'http://0x7f000001:{port}/',
      'http://127.1:{port}/',
      'http://0.0.0.0:{port}/',
      'http://[::ffff:127.0.0.1]:{port}/',
      'http://[::ffff:7f00:1]:{port}/',
      'http://[0:0:0:0:0:ffff:127.0.0.1]:{port}/',
      'http://[::1]:{port}/',
      'http://①②⑦.⓪.⓪.①:{port}/',
    ];
    const corpus = readCorpus('blocked-urls.txt');
    for (const payload of sample) {
      expect(corpus).toContain(payload);
      const before = attack.reduce((sum, listener) => sum + listener.requests(), 0);
      const response = await fetch(payload.replaceAll('{port}', String(port)));
      expect(await response.text()).toBe('internal secret');
      expect(attack.reduce((sum, listener) => sum + listener.requests(), 0)).toBe(before + 1);
    }
  });
});
