/**
 * The exploits of `examples/vulnerable-api/exploits.test.ts`, replayed against the secured shop over real HTTP on
 * 127.0.0.1: each is refused with an RFC 9457 problem (or, for output encoding, rendered inert) and has no effect —
 * no dumped row, no marker file, no forged log line, no admin, no reflected origin. Each test also shows the honest
 * request succeeding, so a refusal is the control working, not a broken route.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWT_SECRET as LEAKED_VULNERABLE_SECRET } from '../vulnerable-api/config.js';
import { createSecuredApp, type SecuredApp, type SeedAccount } from './app.js';
import type { SecuredShopConfig } from './config.js';
import { findUsersByName } from './lib/db.js';
import { searchDirectory } from './lib/directory.js';
import { Browser } from './testing/browser.js';
import { startSelfSignedServer } from '../vulnerable-api/testing/self-signed.js';

const ORIGIN = 'https://shop.example';
const EVIL_ORIGIN = 'https://evil.example';
const SECRET_OUTSIDE_UPLOADS = 'DB_PASSWORD=hunter2 (outside the uploads directory)';
const PARTNER_STOCK = '{"sku":"BEANS-1KG","stock":12}';
const SEED: readonly SeedAccount[] = [
  { username: 'admin', email: 'admin@shop.example', role: 'admin', password: 'sunshine', pin: '9137' },
  { username: 'alice', email: 'alice@example.com', role: 'customer', password: 'princess', pin: '2580' },
  { username: 'bob', email: 'bob@example.com', role: 'customer', password: 'football' },
];

let dataDir: string;
let markerDir: string;
let config: SecuredShopConfig;
let shop: SecuredApp;
let baseUrl: string;
const servers: Server[] = [];
let internal: { url: string; hits: number };
let partner: Awaited<ReturnType<typeof startSelfSignedServer>>;

async function listen(app: SecuredApp['app']): Promise<string> {
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}

function browser(): Promise<Browser> {
  return new Browser(baseUrl, ORIGIN).open();
}

async function loggedIn(username: string, password: string): Promise<Browser> {
  const client = await browser();
  expect((await client.login(username, password)).status).toBe(200);
  return client;
}

/** Asserts an RFC 9457 problem with `status` whose body repeats nothing of `payload`. */
async function expectProblem(response: Response, status: number, payload?: string): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const text = await response.text();
  if (payload !== undefined) expect(text).not.toContain(payload);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body.status).toBe(status);
  for (const member of ['type', 'title', 'correlationId']) expect(typeof body[member]).toBe('string');
  return body;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'secured-shop-test-'));
  markerDir = await mkdtemp(join(tmpdir(), 'secured-shop-markers-'));
  await mkdir(join(dataDir, 'uploads'));
  await writeFile(join(dataDir, 'uploads', 'readme.txt'), 'hello');
  await writeFile(join(dataDir, 'secret.txt'), SECRET_OUTSIDE_UPLOADS);

  internal = { url: '', hits: 0 };
  const internalServer = createServer((_req, res) => {
    internal.hits += 1;
    res.end('internal-only: payroll export');
  });
  servers.push(internalServer);
  await new Promise<void>((resolve) => internalServer.listen(0, '127.0.0.1', resolve));
  internal.url = `http://127.0.0.1:${String((internalServer.address() as AddressInfo).port)}/admin/export`;

  partner = await startSelfSignedServer(PARTNER_STOCK);
  config = {
    publicOrigin: ORIGIN,
    dataDir,
    partnerUrl: partner.url,
    // The partner lives on this host in the test: its address is allowed by name, its certificate is not trusted.
    partnerAllowAddresses: ['127.0.0.1/32'],
    adminNetwork: '10.0.0.0/8',
  };
  shop = await createSecuredApp(config, { seed: SEED });
  baseUrl = await listen(shop.app);
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  }
  await partner.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(markerDir, { recursive: true, force: true });
});

describe('injection', () => {
  it('sql-injection: the UNION payload is refused, and the search binds the name as a value', async () => {
    const client = await browser();
    const name = "nobody' UNION SELECT id, username, password_hash FROM users--";
    await expectProblem(await client.request('GET', `/users/search?name=${encodeURIComponent(name)}`), 400, 'UNION');
    // Past the schema, the `sql` tag binds the payload as a value: it matches no user name.
    expect(findUsersByName(shop.context.db, name)).toEqual([]);
    expect(findUsersByName(shop.context.db, "' OR '1'='1")).toEqual([]);
    const honest = await client.request('GET', '/users/search?name=alice');
    expect(await honest.json()).toEqual({ users: [{ id: 2, username: 'alice', display_name: 'alice' }] });
  });

  it('weak-password-hash: stored hashes are Argon2id, and a lookup table of common passwords reverses none', () => {
    const rows = shop.context.db.prepare('SELECT password_hash FROM users').all() as { password_hash: string }[];
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const table = new Set(['123456', 'password', 'sunshine', 'princess', 'football'].map((p) => createHash('md5').update(p).digest('hex')));
    for (const { password_hash } of rows) {
      expect(password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(table.has(password_hash)).toBe(false);
    }
  });

  it('nosql-injection: {"$ne": null} as the PIN is a 400, not a login', async () => {
    const client = await browser();
    await expectProblem(await client.request('POST', '/devices/login', { body: '{"username":"admin","pin":{"$ne":null}}' }), 400);
    await expectProblem(await client.request('POST', '/devices/login', { body: '{"username":{"$gt":""},"pin":"9137"}' }), 400);
    const honest = await client.request('POST', '/devices/login', { json: { username: 'alice', pin: '2580' } });
    expect(honest.status).toBe(200);
  });

  it('ldap-injection: a wildcard uid is refused, and the filter builder escapes it anyway', async () => {
    const client = await browser();
    await expectProblem(await client.request('GET', '/directory?uid=*'), 400);
    expect(searchDirectory('*')).toEqual([]);
    expect(searchDirectory('alice)(uid=*')).toEqual([]);
    const honest = (await (await client.request('GET', '/directory?uid=alice')).json()) as { entries: unknown[] };
    expect(honest.entries).toHaveLength(1);
  });

  it('command-injection: "; touch" in the file name is refused and runs nothing, even past the schema', async () => {
    const client = await browser();
    const marker = join(markerDir, 'command-injection');
    await expectProblem(await client.request('POST', '/files/size', { json: { name: `readme.txt; touch ${marker}` } }), 400, marker);
    await expect(shop.context.uploads.countBytes(`readme.txt; touch ${marker}`)).rejects.toThrow();
    await expect(shop.context.uploads.countBytes('--version')).rejects.toThrow();
    expect(existsSync(marker)).toBe(false);
    const honest = (await (await client.request('POST', '/files/size', { json: { name: 'readme.txt' } })).json()) as { report: string };
    expect(honest.report.trim()).toBe('5 readme.txt');
  });

  it('code-injection: a formula is not part of the quote request; the shop applies its own rules', async () => {
    const client = await browser();
    await expectProblem(await client.request('POST', '/products/quote', { json: { productId: 1, quantity: 1, formula: 'process.pid' } }), 400);
    const honest = await client.request('POST', '/products/quote', { json: { productId: 1, quantity: 2, discount: 'member' } });
    expect(await honest.json()).toEqual({ total: 44.1 });
  });

  it('path-traversal: every spelling of ../ is the same 404, and nothing outside the uploads is read', async () => {
    const client = await browser();
    for (const name of ['../secret.txt', '..%2fsecret.txt', '%2e%2e/secret.txt', `${dataDir}/secret.txt`, 'readme.txt/../../secret.txt']) {
      const response = await client.request('GET', `/files/download?name=${encodeURIComponent(name)}`);
      const body = await expectProblem(response, 404, 'hunter2');
      expect(body.code).toBe('resource.not_found');
    }
    const honest = await client.request('GET', '/files/download?name=readme.txt');
    expect(honest.status).toBe(200);
    expect(honest.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(await honest.text()).toBe('hello');
  });

  it('ssrf: loopback in any spelling is refused before a connection is made', async () => {
    const client = await browser();
    const port = new URL(internal.url).port;
    for (const url of [internal.url, `https://127.0.0.1:${port}/`, 'https://2130706433/', 'https://[::ffff:7f00:1]/', 'https://localhost/', 'file:///etc/passwd']) {
      await expectProblem(await client.request('POST', '/webhooks/test', { json: { url } }), 400);
    }
    expect(internal.hits).toBe(0);
  });

  it('xss: the reflected search term and a stored review are HTML-encoded', async () => {
    const client = await browser();
    const payload = '<script>alert(document.cookie)</script>';
    const page = await (await client.request('GET', `/products/search?q=${encodeURIComponent(payload)}`)).text();
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;alert(document.cookie)&lt;/script&gt;');

    const stored = '<img src=x onerror="alert(1)">';
    expect((await client.request('POST', '/products/1/reviews', { json: { author: 'mallory', text: stored } })).status).toBe(201);
    const product = await client.request('GET', '/products/1');
    expect(product.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await product.text();
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
  });

  it('xxe: a DOCTYPE is refused before parsing; nothing is imported', async () => {
    const client = await browser();
    const spoof = '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY n "Espresso beans (recalled)">]><product><name>&n;</name><price>1</price></product>';
    const body = await expectProblem(await client.request('POST', '/products/import', { body: spoof, contentType: 'application/xml' }), 400, 'recalled');
    expect(body.code).toBe('xml.refused');
    const bomb = `<!DOCTYPE p [<!ENTITY a "${'A'.repeat(1000)}">]><product><name>${'&a;'.repeat(90)}</name><price>1</price></product>`;
    await expectProblem(await client.request('POST', '/products/import', { body: bomb, contentType: 'application/xml' }), 400);
    const search = await (await client.request('GET', `/products/search?q=${encodeURIComponent('recalled')}`)).text();
    expect(search).not.toContain('<li>');
    const honest = await client.request('POST', '/products/import', {
      body: '<product><name>Grinder</name><price>89.90</price></product>',
      contentType: 'application/xml',
    });
    expect(await honest.json()).toMatchObject({ name: 'Grinder', price: 89.9 });
  });

  it('unsafe-deserialization: the node-serialize IIFE is data that fails the cart schema; nothing runs', async () => {
    const client = await browser();
    const marker = join(markerDir, 'deserialization');
    const serialized = `{"items":[],"x":"_$$ND_FUNC$$_function(){require('fs').writeFileSync('${marker}','pwned')}()"}`;
    await expectProblem(await client.request('POST', '/cart/restore', { json: { cart: Buffer.from(serialized).toString('base64') } }), 400, marker);
    expect(existsSync(marker)).toBe(false);
    const cart = Buffer.from(JSON.stringify({ items: [{ productId: 1, quantity: 2 }] })).toString('base64');
    expect(await (await client.request('POST', '/cart/restore', { json: { cart } })).json()).toEqual({ cart: { items: [{ productId: 1, quantity: 2 }] } });
  });

  it('log-injection: a line break in the user name stays inside one escaped log line', async () => {
    const client = await browser();
    const forged = '2030-01-01T00:00:00.000Z INFO login ok user=admin';
    await expectProblem(await client.request('POST', '/login', { json: { username: `nobody\n${forged}`, password: 'wrong' } }), 401);
    const lines = (await readFile(join(dataDir, 'app.log'), 'utf8')).split('\n');
    expect(lines).not.toContain(forged);
    expect(lines.some((line) => line.endsWith(`login failed user=nobody\\n${forged}`))).toBe(true);
  });
});

describe('access control and data handling', () => {
  it('mass-assignment: "role" in the profile update is refused; the role is unchanged', async () => {
    const bob = await loggedIn('bob', 'football');
    const body = await expectProblem(await bob.request('PATCH', '/users/me', { json: { display_name: 'Bob', role: 'admin' } }), 400);
    expect(body.errors).toEqual([{ pointer: '', rule: 'additionalProperties' }]);
    expect(((await (await bob.request('GET', '/users/me')).json()) as { role: string }).role).toBe('customer');
    expect((await bob.request('PATCH', '/users/me', { json: { display_name: 'Bob' } })).status).toBe(200);
  });

  it('prototype-pollution: a body with __proto__ is refused whole; the staff board stays closed', async () => {
    const alice = await loggedIn('alice', 'princess');
    await expectProblem(await alice.request('PUT', '/users/me/preferences', { body: '{"theme":"dark","__proto__":{"isStaff":true}}' }), 400);
    await expectProblem(await alice.request('PUT', '/users/me/preferences', { body: '{"constructor":{"prototype":{"isStaff":true}}}' }), 400);
    expect(Object.prototype).not.toHaveProperty('isStaff');
    await expectProblem(await alice.request('GET', '/orders/all'), 403);
    const honest = await alice.request('PUT', '/users/me/preferences', { json: { theme: 'dark', notifications: { email: false } } });
    expect(((await honest.json()) as { preferences: { theme: string } }).preferences.theme).toBe('dark');
  });

  it('jwt-misuse: an unsigned token (alg "none") is a 401', async () => {
    const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ sub: '1', role: 'admin' })}.`;
    const response = await fetch(`${baseUrl}/api/orders`, { headers: { authorization: `Bearer ${token}` } });
    await expectProblem(response, 401);
  });

  it('hardcoded-secret: a token signed with the vulnerable shop\'s leaked secret is a 401 (no secret in source to leak)', async () => {
    const forged = await new SignJWT({ sub: '1', role: 'admin' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer(ORIGIN)
      .setAudience('shop-api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti('forged')
      .sign(new TextEncoder().encode(LEAKED_VULNERABLE_SECRET));
    await expectProblem(await fetch(`${baseUrl}/api/orders`, { headers: { authorization: `Bearer ${forged}` } }), 401);
    const issued = await fetch(`${baseUrl}/api/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'princess' }),
    });
    const { token } = (await issued.json()) as { token: string };
    const orders = await fetch(`${baseUrl}/api/orders`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await orders.json()) as { orders: unknown[] }).orders).toHaveLength(1);
  });

  it('trust-proxy: a spoofed X-Forwarded-For is ignored; the allowlist sees the real peer', async () => {
    await expectProblem(await fetch(`${baseUrl}/admin/stats`, { headers: { 'x-forwarded-for': '10.0.0.7' } }), 403);
    const loopbackOffice = await createSecuredApp({ ...config, adminNetwork: '127.0.0.1/32' });
    const office = await listen(loopbackOffice.app);
    const response = await fetch(`${office}/admin/stats`, { headers: { 'x-forwarded-for': '10.0.0.7' } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { clientIp: string }).clientIp).toBe('127.0.0.1');
  });

  it('open-redirect: logout sends an absolute ?next= back to this origin', async () => {
    const alice = await loggedIn('alice', 'princess');
    const response = await alice.request('POST', `/logout?next=${encodeURIComponent('https://evil.example/login')}`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    const relative = await (await loggedIn('alice', 'princess')).request('POST', `/logout?next=${encodeURIComponent('/account')}`);
    expect(relative.headers.get('location')).toBe('/account');
  });

  it('csrf: a cross-site request riding the session cookie is refused', async () => {
    const alice = await loggedIn('alice', 'princess');
    await expectProblem(await alice.request('PATCH', '/users/me', { json: { display_name: 'pwned' }, withoutCsrfToken: true }), 403);
    await expectProblem(await alice.request('PATCH', '/users/me', { json: { display_name: 'pwned' }, headers: { origin: EVIL_ORIGIN } }), 403);
    expect(((await (await alice.request('GET', '/users/me')).json()) as { displayName: string }).displayName).toBe('alice');
  });
});

describe('crypto and configuration', () => {
  it('weak-crypto: gift messages are AES-256-GCM envelopes with no repeated blocks', async () => {
    const client = await browser();
    const { code } = (await (await client.request('POST', '/orders/1/gift-message', { json: { message: 'A'.repeat(48) } })).json()) as { code: string };
    const [version, , , ciphertext = ''] = code.split('.');
    expect(version).toBe('rf1');
    const blocks = Buffer.from(ciphertext, 'base64url').toString('hex').match(/.{32}/g)!;
    expect(new Set(blocks).size).toBe(blocks.length);
    expect(shop.context.tokens.giftCipher.decryptString(code, { table: 'orders', column: 'gift_message', row: 1 })).toBe('A'.repeat(48));
  });

  it('insecure-randomness: reset tokens are 256 bits from the CSPRNG, single use', async () => {
    const client = await browser();
    await client.request('POST', '/password-reset', { json: { username: 'bob' } });
    const mails = (await readFile(join(dataDir, 'outbox.log'), 'utf8')).trim().split('\n');
    const { resetToken } = JSON.parse(mails.at(-1)!) as { resetToken: string };
    expect(resetToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const confirm = { token: resetToken, password: 'football' };
    expect((await client.request('POST', '/password-reset/confirm', { json: confirm })).status).toBe(200);
    await expectProblem(await client.request('POST', '/password-reset/confirm', { json: confirm }), 400);
  });

  it('redos: the e-mail check is a bounded schema; a hostile address is a 400', async () => {
    const client = await browser();
    const hostile = `${'a'.repeat(5000)}!`;
    await expectProblem(await client.request('POST', '/signup', { json: { username: 'dave', email: hostile, password: 'violet kettle marching under cobalt rain' } }), 400);
    const honest = await client.request('POST', '/signup', { json: { username: 'carol', email: 'carol@example.com', password: 'violet kettle marching under cobalt rain' } });
    expect(honest.status).toBe(201);
  });

  it('insecure-cookie: the session cookie is __Host-, Secure, HttpOnly, SameSite=Lax', async () => {
    const client = await browser();
    const response = await client.request('POST', '/login', { json: { username: 'alice', password: 'princess' } });
    const cookie = response.headers.getSetCookie().find((value) => value.startsWith('__Host-sid='))!;
    expect(cookie).toMatch(/^__Host-sid=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
  });

  it('cors-misconfiguration: an evil Origin gets no CORS grant; the shop origin does', async () => {
    const alice = await loggedIn('alice', 'princess');
    const evil = await alice.request('GET', '/users/me', { headers: { origin: EVIL_ORIGIN } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect(evil.headers.get('access-control-allow-credentials')).toBeNull();
    const own = await alice.request('GET', '/users/me');
    expect(own.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  it('tls-verification-disabled: the partner sync refuses a self-signed certificate; trusting it takes a named CA', async () => {
    const client = await browser();
    await expectProblem(await client.request('POST', '/webhooks/partner-sync'), 502);
    const withCa = await createSecuredApp({ ...config, partnerCa: partner.cert });
    const trusted = await listen(withCa.app);
    const response = await new Browser(trusted, ORIGIN).open().then((other) => other.request('POST', '/webhooks/partner-sync'));
    expect(await response.json()).toEqual({ synced: true, stock: PARTNER_STOCK });
  });
});
