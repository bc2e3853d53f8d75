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

  it('@rampart/core/safe re-exports every safe module itself, and the root namespaces are those modules', async () => {
    const root = await import('@rampart/core');
    const safe = await import('@rampart/core/safe');
    const modules = {
      sql: await import('@rampart/core/safe/sql'),
      nosql: await import('@rampart/core/safe/nosql'),
      ldap: await import('@rampart/core/safe/ldap'),
      exec: await import('@rampart/core/safe/exec'),
      xml: await import('@rampart/core/safe/xml'),
      path: await import('@rampart/core/safe/path'),
      fetch: await import('@rampart/core/safe/fetch'),
      redirect: await import('@rampart/core/safe/redirect'),
      encode: await import('@rampart/core/safe/encode'),
      log: await import('@rampart/core/safe/log'),
    };
    for (const [name, module] of Object.entries(modules)) {
      for (const [exported, value] of Object.entries(module)) {
        expect((safe as Record<string, unknown>)[exported], `${name}.${exported}`).toBe(value);
      }
    }
    expect(root.safe.SsrfError).toBe(modules.fetch.SsrfError);
    expect(root.validate.compile).toBe((await import('@rampart/core/validate')).compile);
    expect(root.authz.Authorizer).toBe((await import('@rampart/core/authz')).Authorizer);
    expect(root.audit.AuditLog).toBe((await import('@rampart/core/audit')).AuditLog);
    expect(root.detect.createDetectors).toBe((await import('@rampart/core/detect')).createDetectors);
  });
});
