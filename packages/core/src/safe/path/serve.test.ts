import fc from 'fast-check';
import { request, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { contentDisposition, PathError, serveFile } from './index.js';
import { createTree, readCorpus, type TestTree } from './tree.fixtures.js';

const PDF_ONLY = { '.pdf': 'application/pdf' } as const;

let tree: TestTree;
let server: Server;
let port: number;

beforeAll(async () => {
  tree = await createTree();
  // The way an application uses serveFile: the router decodes the URL path once, Rampart does the rest.
  server = createServer((req, res) => {
    const prefix = '/files/';
    const target = req.url ?? '';
    let userPath: string;
    try {
      userPath = decodeURIComponent(target.slice(prefix.length));
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (!target.startsWith(prefix)) {
      res.writeHead(404).end();
      return;
    }
    serveFile(tree.root, userPath, { allowedTypes: PDF_ONLY }).then(
      (served) => {
        res.writeHead(200, Object.fromEntries(served.headers));
        served.handle.createReadStream().pipe(res);
      },
      (error: unknown) => {
        res.writeHead(error instanceof PathError ? 404 : 500, { 'content-type': 'text/plain' }).end('not found');
      },
    );
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((closed) => server.close(closed));
  await tree.cleanup();
});

/** Sends the request target byte for byte (no client-side normalisation of "..") and collects the answer. */
function get(target: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: target, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serveFile over a real HTTP server on 127.0.0.1', () => {
  it('serves an allowed file as a download with the hardening headers', async () => {
    const response = await get('/files/public/report.pdf');
    expect(response.status).toBe(200);
    expect(response.body).toBe(tree.report);
    expect(response.headers).toMatchObject({
      'content-type': 'application/pdf',
      'content-length': String(Buffer.byteLength(tree.report)),
      'content-disposition': `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cross-origin-resource-policy': 'same-origin',
      'cache-control': 'private, no-store',
    });
  });

  it('encodes a non-ASCII name per RFC 8187', async () => {
    const response = await get(`/files/${encodeURIComponent('Ünïcödé Rëport.pdf')}`);
    expect(response.status).toBe(200);
    expect(response.headers['content-disposition']).toBe(
      `attachment; filename="_n_c_d_ R_port.pdf"; filename*=UTF-8''%C3%9Cn%C3%AFc%C3%B6d%C3%A9%20R%C3%ABport.pdf`,
    );
  });

  it('answers 404 to every traversal payload of the corpus, sent URL-encoded once, and never sends the secret', async () => {
    for (const payload of readCorpus('traversal')) {
      const response = await get(`/files/${encodeURIComponent(payload)}`);
      expect(response.status, payload).toBe(404);
      expect(response.body).not.toContain(tree.secret);
    }
  });

  it('answers 404 to raw and encoded traversal on the wire', async () => {
    for (const target of ['/files/../secret.txt', '/files/..%2fsecret.txt', '/files/%2e%2e%2fsecret.txt', '/files/%252e%252e%252fsecret.txt', '/files/public%2f..%2f..%2fsecret.txt', '/files/..%5csecret.txt', '/files/%2fetc%2fpasswd', '/files/report.pdf%00.pdf', '/files/%c0%ae%c0%ae%2fsecret.txt']) {
      const response = await get(target);
      expect([400, 404], target).toContain(response.status);
      expect(response.body).not.toContain(tree.secret);
    }
  });

  it('answers 404 to every symbolic-link escape of the corpus', async () => {
    for (const payload of readCorpus('symlink')) {
      const response = await get(`/files/${encodeURIComponent(payload)}`);
      expect(response.status, payload).toBe(404);
      expect(response.body).not.toContain(tree.secret);
    }
  });

  it('answers 404 to types outside the allowlist and to a link whose target has another type', async () => {
    expect((await get('/files/page.html')).status).toBe(404);
    expect((await get('/files/public/notes.txt')).status).toBe(404);
    expect((await get('/files/link-html.pdf')).status).toBe(404);
  });
});

describe('serveFile', () => {
  it('refuses a type outside the allowlist before touching the file system', async () => {
    const missingRoot = join(tree.base, 'does-not-exist');
    await expect(serveFile(missingRoot, 'x.exe', { allowedTypes: PDF_ONLY })).rejects.toMatchObject({ code: 'PATH_TYPE_FORBIDDEN' });
  });

  it('takes the type from the link target, which must be allowed too', async () => {
    await expect(serveFile(tree.root, 'link-html.pdf', { allowedTypes: PDF_ONLY })).rejects.toMatchObject({
      code: 'PATH_TYPE_FORBIDDEN',
      reason: 'link target type not allowed',
    });
  });

  it('serves even an HTML file as an inert download when HTML is allowed', async () => {
    const served = await serveFile(tree.root, 'page.html', { allowedTypes: { '.HTML': 'text/html; charset=utf-8' } });
    await served.handle.close();
    expect(served.contentType).toBe('text/html; charset=utf-8');
    expect(served.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(served.headers.get('content-security-policy')).toContain('sandbox');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('matches extensions case-insensitively', async () => {
    const served = await serveFile(tree.root, 'report.pdf', { allowedTypes: { '.PDF': 'application/pdf' } });
    await served.handle.close();
    expect(served.size).toBe(Buffer.byteLength(tree.report));
  });

  it('offers a chosen download name, encoded whatever it holds', async () => {
    const served = await serveFile(tree.root, 'report.pdf', { allowedTypes: PDF_ONLY, downloadName: 'Q3 "final"\r\nSet-Cookie: a=b;.pdf' });
    await served.handle.close();
    expect(served.headers.get('content-disposition')).toBe(
      `attachment; filename="Q3 _final___Set-Cookie: a=b;.pdf"; filename*=UTF-8''Q3%20%22final%22__Set-Cookie%3A%20a%3Db%3B.pdf`,
    );
  });

  it.each<[Record<string, string>, string]>([
    [{}, 'empty table'],
    [{ pdf: 'application/pdf' }, 'key without a dot'],
    [{ '.pdf': 'application/pdf\r\nX-Evil: 1' }, 'header injection in the type'],
    [{ '.pdf': 'pdf' }, 'not a media type'],
    [{ '.pdf': 'application/pdf', '.PDF': 'application/pdf' }, 'duplicate after case folding'],
    [{ '.tar.gz': 'application/gzip' }, 'two extensions'],
  ])('refuses allowedTypes %j (%s)', async (allowedTypes, _why) => {
    await expect(serveFile(tree.root, 'report.pdf', { allowedTypes })).rejects.toBeInstanceOf(ConfigurationError);
  });
});

describe('contentDisposition', () => {
  it.each([
    ['report.pdf', `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`],
    ['a"b%c.pdf', `attachment; filename="a_b_c.pdf"; filename*=UTF-8''a%22b%25c.pdf`],
    ['dir\\sub\\x.pdf', `attachment; filename="x.pdf"; filename*=UTF-8''x.pdf`],
    ['😀.pdf', `attachment; filename="_.pdf"; filename*=UTF-8''%F0%9F%98%80.pdf`],
    ['../../etc/passwd', `attachment; filename="passwd"; filename*=UTF-8''passwd`],
    ['invoice\u202Efdp.exe', `attachment; filename="invoice_fdp.exe"; filename*=UTF-8''invoice_fdp.exe`],
    ['', `attachment; filename="download"; filename*=UTF-8''download`],
    ['日本.pdf', `attachment; filename="__.pdf"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.pdf`],
  ])('%j', (name, header) => {
    expect(contentDisposition(name)).toBe(header);
  });

  it('always yields one header line with exactly two parameters, whose RFC 8187 value decodes to the name', () => {
    const unsafe = /[\p{Cc}\p{Cs}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (name) => {
        const header = contentDisposition(name);
        const match = /^attachment; filename="([\x20-\x7E]*)"; filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_`|~%]+)$/.exec(header);
        expect(match).not.toBeNull();
        expect(match?.[1]).not.toMatch(/["\\%]/);
        expect(() => new Headers({ 'content-disposition': header })).not.toThrow();
        const expectedName = (name.split(/[/\\]/).pop() ?? '').replace(unsafe, '_') || 'download';
        expect(decodeURIComponent(match?.[2] ?? '')).toBe(expectedName);
      }),
      { numRuns: 1_000, seed: 0xd15b },
    );
  });
});
