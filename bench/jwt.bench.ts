import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { importJWK, jwtVerify, type CryptoKey, type JWTVerifyOptions } from 'jose';
import {
  createJwtIssuer,
  createJwtVerifier,
  JwtKeySet,
  type AsymmetricJwtAlgorithm,
  type JwtAlgorithm,
} from '../packages/core/src/token/jwt/index.js';
import { compare, type BenchRow } from './harness.js';

const ISSUER = 'https://id.example';
const AUDIENCE = 'https://api.example';
const DISTINCT_TOKENS = 512;

async function keySet(alg: JwtAlgorithm): Promise<JwtKeySet> {
  if (alg !== 'HS256') return JwtKeySet.generate({ algorithm: alg satisfies AsymmetricJwtAlgorithm });
  const keys = JwtKeySet.empty();
  keys.addSymmetric(randomBytes(32), { current: true });
  return keys;
}

/** jose's fastest path: a CryptoKey imported once, outside the timed loop (Rampart looks its key up by kid each time). */
async function joseKey(keys: JwtKeySet): Promise<CryptoKey | KeyObject> {
  const { alg, kid } = keys.current;
  if (alg === 'HS256') return createSecretKey(keys.current.key.export());
  const jwk = keys.jwks().keys.find((k) => k.kid === kid);
  if (jwk === undefined) throw new Error('no public key');
  const key = await importJWK({ ...jwk }, alg);
  if (key instanceof Uint8Array) throw new Error('unexpected symmetric key');
  return key;
}

async function suite(alg: JwtAlgorithm): Promise<BenchRow[]> {
  const keys = await keySet(alg);
  const issuer = createJwtIssuer({ keys, issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 3600 });
  const tokens = Array.from({ length: DISTINCT_TOKENS }, (_, i) => issuer.issueAccessToken({ sub: `user-${i}`, scope: 'read write' }).token);
  const algorithms: JwtAlgorithm[] = [alg];
  const common = { keys, issuer: ISSUER, audience: AUDIENCE, algorithms };
  const uncached = createJwtVerifier({ ...common, cache: false });
  const cached = createJwtVerifier(common);
  const key = await joseKey(keys);
  // The same checks Rampart makes: allowlist, iss, aud, typ, required claims, leeway, max age.
  const options: JWTVerifyOptions = {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms,
    typ: 'at+jwt',
    clockTolerance: 30,
    maxTokenAge: 86_400,
    requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'],
  };
  for (const token of tokens) {
    if (!uncached.verify(token).ok) throw new Error(`${alg}: Rampart refused a valid token`);
    await jwtVerify(token, key, options);
  }

  let a = 0;
  let b = 0;
  const repeated = tokens[0] ?? '';
  const must = (ok: boolean): void => {
    if (!ok) throw new Error(`${alg}: verification failed during the benchmark`);
  };
  return [
    await compare(
      `JWT verify ${alg}, a different token each call (no cache)`,
      { name: 'rampart verify (cache off)', fn: () => {
          must(uncached.verify(tokens[(a = (a + 1) % DISTINCT_TOKENS)] ?? '').ok);
        },
      },
      { name: 'jose jwtVerify', fn: async () => jwtVerify(tokens[(b = (b + 1) % DISTINCT_TOKENS)] ?? '', key, options) },
    ),
    await compare(
      `JWT verify ${alg}, the same token again (cache on)`,
      { name: 'rampart verify (default, cache on)', fn: () => {
          must(cached.verify(repeated).ok);
        },
      },
      { name: 'jose jwtVerify', fn: async () => jwtVerify(repeated, key, options) },
    ),
  ];
}

/**
 * JWT verification, Rampart vs jose `jwtVerify`, same tokens, same checks: EdDSA, ES256, HS256 and RS256 (RSA-2048,
 * what most hosted issuers sign with); without and with the cache.
 */
export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const alg of ['EdDSA', 'ES256', 'HS256', 'RS256'] as const) rows.push(...(await suite(alg)));
  return rows;
}
