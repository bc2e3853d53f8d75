/*
 * Each adapter's README shows how to protect an API with access tokens. The example is copied into the adapter's
 * package (so its imports resolve as in an application, from the built packages), run in a real child process, and
 * must accept a token with the route's scope, refuse a request without one (401 and the RFC 6750 / RFC 9449
 * challenge) and a token without the scope (403 insufficient_scope), then exit.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ADAPTERS } from './servers.js';

const packagesDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe.each(ADAPTERS)('the %s README access-token example', (adapter) => {
  it('runs, lets a token with the scope in, and refuses no token (401) and a token without the scope (403)', async () => {
    const packageDir = join(packagesDir, adapter);
    const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
    const section = /## Protecting an API with access tokens\n([\s\S]*?)(?=\n## |$)/.exec(readme)?.[1];
    const code = section === undefined ? undefined : /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    if (code === undefined) throw new Error('no ```ts block under ## Protecting an API with access tokens');
    expect(code).toMatch(/createResourceServer\(/);
    expect(code).toMatch(/requireAccessToken\(rs, \{ scopes: \['orders:read'\] \}\)/);
    expect(code.trimEnd().split('\n').length).toBeLessThan(40);
    const dir = mkdtempSync(join(packageDir, '.readme-token-'));
    try {
      writeFileSync(join(dir, 'example.ts'), code);
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(dir, 'example.ts')], {
        cwd: packageDir,
        timeout: 30_000,
      });
      expect(stdout.trim().split('\n')).toEqual([
        '200 {"caller":"user-42"}',
        '401 Bearer, DPoP algs="ES256 EdDSA"',
        '403 Bearer error="insufficient_scope", error_description="The access token does not grant the required scope", scope="orders:read", DPoP algs="ES256 EdDSA"',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
