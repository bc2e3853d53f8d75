import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe('README', () => {
  it('shows a complete secured app in under 30 lines that runs, answers and exits', async () => {
    const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
    const code = /## Example\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    if (code === undefined) throw new Error('no ```ts block under ## Example');
    expect(code.trimEnd().split('\n').length).toBeLessThan(30);
    // Inside the package, so the example's imports resolve as they would in an application.
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
