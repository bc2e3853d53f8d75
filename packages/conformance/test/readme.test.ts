/*
 * Each adapter's README promises a complete secured app in under 30 lines. The example is copied into the adapter's
 * package (so its imports resolve as in an application), run in a real child process, and must answer with the
 * security headers and exit.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ADAPTERS } from './servers.js';

const packagesDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe.each(ADAPTERS)('the %s README', (adapter) => {
  it('shows a complete secured app in under 30 lines that runs, answers and exits', async () => {
    const packageDir = join(packagesDir, adapter);
    const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
    const code = /## Example\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    if (code === undefined) throw new Error('no ```ts block under ## Example');
    expect(code.trimEnd().split('\n').length).toBeLessThan(30);
    const dir = mkdtempSync(join(packageDir, '.readme-'));
    try {
      writeFileSync(join(dir, 'example.ts'), code);
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(dir, 'example.ts')], {
        cwd: packageDir,
        timeout: 30_000,
      });
      expect(stdout).toMatch(/^200 default-src 'none'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
