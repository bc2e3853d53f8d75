import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDocsPage } from './docs-page.js';
import { apiRequest } from '../testing/browser-client.fixtures.js';
import { startTestServer, type TestServer } from '../testing/server.fixtures.js';

describe('the API contract', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves an OpenAPI 3.1 document that the official schema accepts, with the routes and their credentials', async () => {
    const response = await apiRequest(t.url, 'GET', '/openapi.json');
    expect(response.status).toBe(200);
    const document = response.body as { openapi: string; paths: Record<string, Record<string, { summary?: string; tags?: string[]; requestBody?: unknown; parameters?: unknown[]; security?: unknown }>> };
    expect(document.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.paths['/v1/accounts']?.post?.requestBody).toBeDefined();
    // Every operation is documented: a tag, a summary, and the body or parameters it takes.
    const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation: operation })));
    expect(operations.length).toBeGreaterThan(50);
    expect(operations.filter(({ operation }) => operation.summary === undefined || (operation.tags ?? []).length === 0).map(({ method, path }) => `${method} ${path}`)).toEqual([]);
    // (Routes whose path says everything — lock, unlock, activate, bind — take no body.)
    const pathSaysAll = new Set(['/v1/logout', '/v1/admin/users/{id}/lock', '/v1/admin/users/{id}/unlock', '/v1/admin/audit/verify', '/v1/admin/policies/{version}/activate', '/v1/admin/role-bindings/{userId}/tenants/{tenant}/{role}', '/v1/admin/role-bindings/{userId}/global/{role}']);
    const bodyless = operations.filter(({ method, path, operation }) => ['post', 'put', 'patch'].includes(method) && !pathSaysAll.has(path) && operation.requestBody === undefined);
    expect(bodyless.map(({ method, path }) => `${method} ${path}`)).toEqual([]);
    expect(operations.filter(({ path, operation }) => path.includes('{') && (operation.parameters ?? []).length === 0).map(({ method, path }) => `${method} ${path}`)).toEqual([]);
    // Probes and the contract itself are not API operations.
    expect(Object.keys(document.paths).filter((path) => !path.startsWith('/v1') && !path.startsWith('/.well-known'))).toEqual([]);
  });

  it('validates bodies with the schema it publishes: a refused body is a validation problem naming the pointer, not the value', async () => {
    const response = await apiRequest(t.url, 'POST', '/v1/accounts', { json: { email: 'not an address', password: 'x', role: 'admin' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const body = response.body as { code: string; errors: { pointer: string; rule: string }[]; correlationId: string };
    expect(body.code).toBe('validation.failed');
    expect(body.errors.length).toBeGreaterThan(0);
    expect(response.text).not.toContain('not an address');
    expect(response.text).not.toContain('admin');
    expect(typeof body.correlationId).toBe('string');
  });

  it('serves the reference as a static page with no script, under the API headers', async () => {
    const response = await fetch(`${t.url}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain('POST /v1/accounts');
    expect(html).not.toMatch(/<script/i);
  });

  it('attack: text in the contract cannot become markup on the docs page', () => {
    const html = renderDocsPage({
      info: { title: '<script>alert(1)</script>' },
      paths: { '/v1/x"><img src=x onerror=alert(1)>': { get: { summary: '</p><script>alert(2)</script>' } } },
    });
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).toContain('&lt;script&gt;');
  });
});
