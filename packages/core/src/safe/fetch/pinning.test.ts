import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressPolicy } from './address-policy.js';
import { createSafeFetch } from './client.js';
import { pinnedConnector } from './connector.js';
import { SsrfError } from './errors.js';
import { listen, listenSamePort, testResolver, type Handler, type Listener } from './testing.fixtures.js';

/** Redirects `/hop?n=3` to `/hop?n=2` … on the same host, closing the connection each time so each hop reconnects. */
const hops: Handler = (request, response) => {
  const n = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('n') ?? '0');
  response.setHeader('connection', 'close');
  if (n > 0) response.writeHead(302, { location: `/hop?n=${n - 1}` }).end();
  else response.end(`served by ${request.socket.localAddress ?? ''}`);
};

let first: Listener;
let second: Listener;
let internal: Listener;

beforeAll(async () => {
  // Two allowed listeners on one port: which one is reached depends only on the address connected to.
  [first, second] = (await listenSamePort(['127.0.0.4', '127.0.0.5'], hops)) as [Listener, Listener];
  internal = await listen('127.0.0.1');
});

afterAll(async () => {
  await Promise.all([first.close(), second.close(), internal.close()]);
});

describe('safe/fetch: the connection is pinned to the checked address (DNS rebinding)', () => {
  it('attack: a name that answers a checked address first and another one afterwards only ever reaches the first', async () => {
    const resolver = testResolver({ 'good.test': (call) => (call === 1 ? ['127.0.0.4'] : ['127.0.0.5']) });
    const client = createSafeFetch({ allowInsecureHttp: true, allowPorts: [first.port], allowAddresses: ['127.0.0.4/32', '127.0.0.5/32'], resolver });
    const response = await client.fetch(`http://good.test:${first.port}/hop?n=3`);
    expect(await response.text()).toBe('served by 127.0.0.4');
    expect(first.requests()).toBe(4);
    expect(first.connections()).toBe(4); // a new connection per hop, and still the same address: no second lookup
    expect(second.connections()).toBe(0);
    expect(resolver.asked).toEqual(['good.test']);
    // Every hop carried the host name, not the address.
    expect(first.seen.map((seen) => seen.headers.host)).toEqual(Array(4).fill(`good.test:${first.port}`));
    await client.close();
  });

  it('baseline: checking the name and then letting the HTTP client resolve it again reaches the second address', async () => {
    const resolver = testResolver({ 'naive.test': (call) => (call === 1 ? ['127.0.0.4'] : ['127.0.0.5']) });
    const policy = new AddressPolicy({ allowAddresses: ['127.0.0.4/32'] });
    // The check-then-use pattern of libraries that validate a URL before handing it to an HTTP client:
    const [answer] = await resolver('naive.test');
    expect(policy.checkText(answer!.address)?.allowed).toBe(true);
    const agent = new Agent({
      connect: {
        lookup: (hostname, options, callback) => {
          void resolver(hostname).then(([again]) => {
            if (options.all === true) callback(null, [{ address: again!.address, family: 4 }]);
            else callback(null, again!.address, 4);
          });
        },
      },
    });
    const before = second.requests();
    const response = await request(`http://naive.test:${first.port}/hop?n=0`, { dispatcher: agent });
    expect(await response.body.text()).toBe('served by 127.0.0.5');
    expect(second.requests()).toBe(before + 1);
    await agent.close();
  });

  it('attack: public first, internal second — the internal listener is never reached', async () => {
    // The first answer is allowed (a "public" address for this test), the second is the internal service.
    const resolver = testResolver({ 'rebind.test': (call) => (call === 1 ? ['127.0.0.4'] : ['127.0.0.1']) });
    const client = createSafeFetch({ allowInsecureHttp: true, allowPorts: [first.port], allowAddresses: ['127.0.0.4/32'], resolver });
    const response = await client.fetch(`http://rebind.test:${first.port}/hop?n=3`);
    expect(await response.text()).toBe('served by 127.0.0.4');
    expect(internal.connections()).toBe(0);
    expect(resolver.asked).toEqual(['rebind.test']);
    // The next request resolves afresh, gets the internal address, and is refused before connecting.
    const error = await client.fetch(`http://rebind.test:${first.port}/hop?n=0`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SsrfError);
    expect(error).toMatchObject({ code: 'SSRF_BLOCKED_ADDRESS', details: { address: '127.0.0.1', range: 'loopback' } });
    expect(internal.connections()).toBe(0);
    await client.close();
  });

  it('attack: a real public address first and 127.0.0.1 second — the connection goes to the public address or fails, never to 127.0.0.1', async () => {
    const resolver = testResolver({ 'rebind.test': (call) => (call === 1 ? ['93.184.215.14'] : ['127.0.0.1']) });
    const client = createSafeFetch({ allowInsecureHttp: true, allowPorts: [internal.port], resolver, connectTimeoutMs: 300, timeoutMs: 1_000 });
    const outcome = await client.fetch(`http://rebind.test:${internal.port}/`).then(
      async (response) => {
        await response.body?.cancel();
        return 'answered by the public address';
      },
      (error: unknown) => (error instanceof SsrfError ? error.code : 'untyped'),
    );
    // Whether this sandbox can reach that address varies; what may not vary is the listener staying untouched.
    expect(['answered by the public address', 'SSRF_TIMEOUT', 'SSRF_NETWORK_ERROR']).toContain(outcome);
    expect(internal.connections()).toBe(0);
    expect(resolver.asked).toEqual(['rebind.test']);
    await client.close();
  });

  it('attack: a name answering [public, private] is refused as a whole, whichever order', async () => {
    for (const answers of [
      ['127.0.0.4', '127.0.0.1'],
      ['127.0.0.1', '127.0.0.4'],
      ['127.0.0.4', '::ffff:127.0.0.1'],
    ]) {
      const client = createSafeFetch({
        allowInsecureHttp: true,
        allowPorts: [first.port, internal.port],
        allowAddresses: ['127.0.0.4/32'],
        resolver: testResolver({ 'mixed.test': answers }),
      });
      const error = await client.fetch(`http://mixed.test:${internal.port}/`).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'SSRF_BLOCKED_ADDRESS', details: { address: '127.0.0.1', range: 'loopback' } });
      await client.close();
    }
    expect(internal.connections()).toBe(0);
  });

  it('attack: a resolver answering garbage, nothing, or failing is a DNS failure, not a connection', async () => {
    const bad = [[], [''], ['localhost'], ['0x7f.1'], ['2130706433'], ['fe80::1%lo']];
    for (const answers of bad) {
      const client = createSafeFetch({ resolver: testResolver({ 'bad.test': answers }) });
      await expect(client.fetch('https://bad.test/')).rejects.toMatchObject({ code: 'SSRF_DNS_FAILED' });
      await client.close();
    }
    const notArray = createSafeFetch({ resolver: () => Promise.resolve('127.0.0.1' as unknown as []) });
    await expect(notArray.fetch('https://bad.test/')).rejects.toMatchObject({ code: 'SSRF_DNS_FAILED' });
    await expect(createSafeFetch({ resolver: testResolver() }).fetch('https://nxdomain.test/')).rejects.toMatchObject({ code: 'SSRF_DNS_FAILED', details: { hostname: 'nxdomain.test' } });
  });

  it('falls back to the next checked address only when connecting failed', async () => {
    // 127.0.0.6 has no listener (connection refused); 127.0.0.4 answers. Both are checked and allowed.
    const resolver = testResolver({ 'dual.test': ['127.0.0.6', '127.0.0.4'] });
    const client = createSafeFetch({ allowInsecureHttp: true, allowPorts: [first.port], allowAddresses: ['127.0.0.4/32', '127.0.0.6/32'], resolver });
    expect(await (await client.fetch(`http://dual.test:${first.port}/hop?n=0`)).text()).toBe('served by 127.0.0.4');
    expect(await client.check(`http://dual.test:${first.port}/`)).toEqual({ url: `http://dual.test:${first.port}/`, hostname: 'dual.test', port: first.port, addresses: ['127.0.0.6', '127.0.0.4'] });
    const dead = createSafeFetch({ allowInsecureHttp: true, allowPorts: [first.port], allowAddresses: ['127.0.0.6/32'] });
    await expect(dead.fetch(`http://127.0.0.6:${first.port}/`)).rejects.toMatchObject({ code: 'SSRF_NETWORK_ERROR' });
    await Promise.all([client.close(), dead.close()]);
  });

  it('pins IPv6 answers too, with the host name in Host', async () => {
    const v6 = await listen('::1', hops);
    const client = createSafeFetch({ allowInsecureHttp: true, allowPorts: [v6.port], allowAddresses: ['::1/128'], resolver: testResolver({ 'v6.test': ['::1'] }) });
    expect(await (await client.fetch(`http://v6.test:${v6.port}/hop?n=1`)).text()).toBe('served by ::1');
    expect(v6.seen.map((seen) => seen.headers.host)).toEqual([`v6.test:${v6.port}`, `v6.test:${v6.port}`]);
    expect(await (await client.fetch(`http://[0:0::1]:${v6.port}/hop?n=0`)).text()).toBe('served by ::1');
    expect(v6.seen.at(-1)?.headers.host).toBe(`[::1]:${v6.port}`);
    await client.close();
    await v6.close();
  });

  it('attack: the connector itself refuses blocked addresses and names, whoever dispatches through it', async () => {
    const agent = new Agent({ connect: pinnedConnector({ policy: new AddressPolicy(), connectTimeoutMs: 1_000, ca: undefined }) });
    for (const origin of [`http://127.0.0.1:${internal.port}`, `http://localhost:${internal.port}`, `http://[::ffff:127.0.0.1]:${internal.port}`]) {
      await expect(request(origin, { dispatcher: agent })).rejects.toMatchObject({ code: 'SSRF_BLOCKED_ADDRESS' });
    }
    expect(internal.connections()).toBe(0);
    await agent.close();
  });

  it('check() vets a URL without connecting, and refuses like fetch', async () => {
    const client = createSafeFetch({ resolver: testResolver({ 'api.partner.example': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'], 'evil.example': ['10.0.0.1'] }) });
    expect(await client.check('https://API.partner.example./hooks?token=secret')).toEqual({
      url: 'https://api.partner.example./hooks',
      hostname: 'api.partner.example',
      port: 443,
      addresses: ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    });
    await expect(client.check('https://evil.example/')).rejects.toMatchObject({ code: 'SSRF_BLOCKED_ADDRESS', details: { range: 'private' } });
    await expect(client.check('http://api.partner.example/')).rejects.toMatchObject({ code: 'SSRF_SCHEME' });
    await client.close();
  });
});
