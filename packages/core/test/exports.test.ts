/*
 * The package's public entry points, as a user imports them: every subpath in package.json's `exports` resolves to
 * built code, and the root namespaces expose the same objects as the subpaths (one module instance, not two copies
 * whose `instanceof` checks would silently disagree).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageJson = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'), 'utf8')) as {
  exports: Record<string, unknown>;
};

describe('@rampart/core entry points', () => {
  it('every subpath export resolves to built code with named exports', async () => {
    for (const subpath of Object.keys(packageJson.exports)) {
      const specifier = subpath === '.' ? '@rampart/core' : `@rampart/core/${subpath.slice(2)}`;
      const module = (await import(specifier)) as Record<string, unknown>;
      expect(Object.keys(module).length, specifier).toBeGreaterThan(0);
    }
  });

  it('root namespaces are the subpath modules themselves', async () => {
    const root = await import('@rampart/core');
    const tokenModule = await import('@rampart/core/token');
    const cryptoModule = await import('@rampart/core/crypto');
    expect(root.token.createJwtVerifier).toBe(tokenModule.createJwtVerifier);
    expect(root.crypto.KeyRing).toBe(cryptoModule.KeyRing);
  });
});
