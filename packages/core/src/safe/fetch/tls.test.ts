import { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSafeFetch, type SafeFetch } from './client.js';
import { listenTls, testResolver, type Handler, type Listener } from './testing.fixtures.js';
// The example app's throwaway CA, issuing for test names only (no IP addresses): one PKI helper for the repository.
import { createTestCertificates, type TestCertificates } from '../../../../../examples/web-app/tls.js';

/** Answers with the TLS server name the client sent and the Host header; `/downgrade` redirects to plain http. */
const app: Handler = (request, response) => {
  if (!(request.socket instanceof TLSSocket)) throw new Error('expected a TLS socket');
  if (request.url === '/downgrade') {
    response.writeHead(302, { location: `http://good.test:${String(request.socket.localPort)}/` }).end();
    return;
  }
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ servername: request.socket.servername, host: request.headers.host }));
};

let pki: TestCertificates;
let server: Listener;
let client: SafeFetch;
const resolver = testResolver({ 'good.test': ['127.0.0.2'], 'alt.test': ['127.0.0.2'], 'wrong.test': ['127.0.0.2'] });

beforeAll(async () => {
  // A CA made for this run; the certificate names good.test and alt.test, and no IP address.
  pki = await createTestCertificates({ dns: ['good.test', 'alt.test'], ip: [] });
  server = await listenTls('127.0.0.2', { cert: pki.certPem, key: pki.keyPem }, app);
  client = createSafeFetch({ ca: pki.caPem, allowPorts: [server.port], allowAddresses: ['127.0.0.2/32'], resolver });
});

afterAll(async () => {
  await client.close();
  await server.close();
});

describe('safe/fetch over TLS: pinned to the address, verified against the host name', () => {
  it('connects to the checked address with SNI and Host set to the host name', async () => {
    const response = await client.fetch(`https://good.test:${server.port}/`);
    expect(await response.json()).toEqual({ servername: 'good.test', host: `good.test:${server.port}` });
    // Keep-alive: pinned connections are pooled and reused (undici opens a second one right after the first
    // response, before the first is marked idle; after that the count stays put).
    await (await client.fetch(`https://good.test:${server.port}/`)).text();
    const connections = server.connections();
    for (let i = 0; i < 5; i += 1) await (await client.fetch(`https://good.test:${server.port}/`)).text();
    expect(server.connections()).toBe(connections);
    expect(connections).toBeLessThanOrEqual(2);
  });

  it('attack: a name the certificate does not cover fails TLS, even with a verified connection to the same address open', async () => {
    await (await client.fetch(`https://good.test:${server.port}/`)).text();
    await expect(client.fetch(`https://wrong.test:${server.port}/`)).rejects.toMatchObject({ code: 'SSRF_TLS_FAILED' });
    // Another name on the same certificate gets its own handshake and its own SNI.
    expect(await (await client.fetch(`https://alt.test:${server.port}/`)).json()).toEqual({ servername: 'alt.test', host: `alt.test:${server.port}` });
  });

  it('attack: the IP address alone is not a name the certificate covers', async () => {
    await expect(client.fetch(`https://127.0.0.2:${server.port}/`)).rejects.toMatchObject({ code: 'SSRF_TLS_FAILED' });
  });

  it('attack: without the named `ca`, a certificate from an unknown CA is refused (verification cannot be turned off)', async () => {
    const untrusting = createSafeFetch({ allowPorts: [server.port], allowAddresses: ['127.0.0.2/32'], resolver });
    await expect(untrusting.fetch(`https://good.test:${server.port}/`)).rejects.toMatchObject({ code: 'SSRF_TLS_FAILED' });
    await untrusting.close();
  });

  it('attack: a redirect from https to http is refused unless http is allowed by name', async () => {
    await expect(client.fetch(`https://good.test:${server.port}/downgrade`)).rejects.toMatchObject({ code: 'SSRF_SCHEME', details: { hop: 1 } });
  });
});
