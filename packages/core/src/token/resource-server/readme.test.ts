/*
 * The README's example is a complete service: it is copied into the package (so `@rampart/core/token` resolves as in
 * an application, from the built dist), run in a real child process, and must print what the README says it prints.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('../../../', import.meta.url));

describe('the resource-server README', () => {
  it('shows a runnable service that accepts a DPoP-bound token and refuses its proof replayed', async () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    const code = /## Example\s+[^`]*```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    if (code === undefined) throw new Error('no ```ts block under ## Example');
    const dir = mkdtempSync(join(packageDir, '.readme-'));
    try {
      writeFileSync(join(dir, 'example.ts'), code);
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(dir, 'example.ts')], { cwd: packageDir, timeout: 30_000 });
      expect(stdout.split('\n').filter((line) => line !== '')).toEqual([
        'keys loaded: true',
        'accepted: user-42 dpop true',
        'refused: dpop_replayed 401 Bearer, DPoP algs="ES256 EdDSA", error="invalid_dpop_proof", error_description="The DPoP proof is missing or invalid"',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
