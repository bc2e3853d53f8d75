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
    const document = response.body as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown; security?: unknown }>> };
    expect(document.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.paths['/v1/accounts']?.post?.requestBody).toBeDefined();
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
