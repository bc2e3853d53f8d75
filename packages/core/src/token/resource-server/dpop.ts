import { createHash, timingSafeEqual } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type CryptoKey, type JWK } from 'jose';
import type { Clock } from '../../clock.js';
import { ConfigurationError } from '../../errors.js';
import { fail, ok, type Result } from '../../result.js';
import type { ReplayCache } from '../refresh/replay-cache.js';
import { normalizeHttpUri } from './htu.js';
import type { DpopProofFailure } from './reasons.js';

/** The asymmetric JWS algorithms a DPoP proof may use (RFC 9449 §4.2: never `none`, never a MAC). */
export type DpopAlgorithm = 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'Ed25519' | 'PS256' | 'PS384' | 'PS512' | 'RS256' | 'RS384' | 'RS512';

/** Default proof algorithms: P-256 and Ed25519, what browsers' WebCrypto and current client libraries sign with. */
export const DEFAULT_DPOP_ALGORITHMS: readonly DpopAlgorithm[] = Object.freeze(['ES256', 'EdDSA']);

/** The key type each algorithm needs in the proof's `jwk` header. */
const KEY_TYPES: Readonly<Record<DpopAlgorithm, 'EC' | 'OKP' | 'RSA'>> = {
  ES256: 'EC',
  ES384: 'EC',
  ES512: 'EC',
  EdDSA: 'OKP',
  Ed25519: 'OKP',
  PS256: 'RSA',
  PS384: 'RSA',
  PS512: 'RSA',
  RS256: 'RSA',
  RS384: 'RSA',
  RS512: 'RSA',
};

/** The public members of each key type (RFC 7638 §3.2): the only ones a key is built from. */
const PUBLIC_MEMBERS: Readonly<Record<'EC' | 'OKP' | 'RSA', readonly string[]>> = {
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
  RSA: ['kty', 'n', 'e'],
};

/** Members that only a private (or symmetric) JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** Headers that point at or carry a key elsewhere: the proof's key is its `jwk`, and nothing else. */
const KEY_POINTERS = ['jku', 'x5u', 'x5c'] as const;

/** Three base64url segments; an empty signature is let through here so that `alg: none` is refused by name. */
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The DPoP policy, validated. */
export interface DpopPolicy {
  readonly algorithms: readonly DpopAlgorithm[];
  readonly maxAgeSeconds: number;
  readonly leewaySeconds: number;
  readonly maxProofLength: number;
  readonly replayCache: ReplayCache;
  readonly clock: Clock;
}

/** Validates a configured proof-algorithm allowlist: asymmetric algorithms jose verifies, and nothing else. */
export function checkDpopAlgorithms(algorithms: readonly string[] | undefined): readonly DpopAlgorithm[] {
  if (algorithms === undefined) return DEFAULT_DPOP_ALGORITHMS;
  if (!Array.isArray(algorithms) || algorithms.length === 0) throw new ConfigurationError('dpop.algorithms must be a non-empty list');
  for (const alg of algorithms) {
    if (typeof alg !== 'string' || !Object.hasOwn(KEY_TYPES, alg)) {
      throw new ConfigurationError(`dpop.algorithms: "${String(alg)}" is not an asymmetric JWS algorithm (RFC 9449 §4.2 forbids none and MACs)`);
    }
  }
  return Object.freeze([...new Set(algorithms as readonly DpopAlgorithm[])]);
}

/** What a proof is checked against. */
export interface DpopProofInput {
  /** The `DPoP` header value, `undefined` when absent. */
  readonly proof: string | undefined;
  readonly method: string;
  readonly url: string | URL;
  /** The access token presented with the proof (its hash must be the proof's `ath`). */
  readonly accessToken: string;
  /** The token's `cnf.jkt`: the proof key's thumbprint must be this one. */
  readonly boundThumbprint: string;
}

/** A proof key this server has already seen bound to a valid token: its RFC 7638 thumbprint and the imported key. */
interface KnownKey {
  readonly thumbprint: string;
  readonly key: CryptoKey;
}

/**
 * Proof keys already checked, by algorithm and public members: a client signs every request with the same key, and
 * computing its thumbprint (jose, through WebCrypto) and importing it cost as much as the signature check itself. Only
 * keys whose thumbprint matched a verified token's `cnf.jkt` are ever stored, so an attacker sending proofs with keys
 * of their own cannot fill it or evict anyone. Bounded, oldest first out.
 */
export class DpopKeyCache {
  readonly #keys = new Map<string, KnownKey>();
  readonly #maxEntries: number;

  constructor(maxEntries = 1000) {
    this.#maxEntries = maxEntries;
  }

  /** The name of a key: its algorithm and public members, unambiguous (JSON of a fixed list). */
  static nameOf(alg: DpopAlgorithm, jwk: JWK): string {
    const members = jwk as Readonly<Record<string, unknown>>;
    return JSON.stringify([alg, ...PUBLIC_MEMBERS[KEY_TYPES[alg]].map((member) => members[member])]);
  }

  get(name: string): KnownKey | undefined {
    return this.#keys.get(name);
  }

  /** Imports a key whose thumbprint matched a verified token, and remembers it. Throws for a key jose refuses. */
  async remember(name: string, alg: DpopAlgorithm, jwk: JWK, thumbprint: string): Promise<KnownKey> {
    const key = await importJWK(jwk, alg);
    if (key instanceof Uint8Array || key.type !== 'public') throw new TypeError('not a public key');
    if (this.#keys.size >= this.#maxEntries) {
      const oldest = this.#keys.keys().next();
      if (oldest.done !== true) this.#keys.delete(oldest.value);
    }
    const known = { thumbprint, key };
    this.#keys.set(name, known);
    return known;
  }
}

function equalText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The proof's `jwk`, reduced to its public members; a refusal reason for anything a proof key must not be. */
function publicKeyOf(header: Readonly<Record<string, unknown>>, alg: DpopAlgorithm): JWK | undefined {
  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return undefined;
  const members = jwk as Record<string, unknown>;
  // RFC 9449 §4.3 check 7: a proof carrying a private key is refused, not just stripped: its sender is broken or hostile.
  for (const member of PRIVATE_MEMBERS) if (Object.hasOwn(members, member)) return undefined;
  const kty = KEY_TYPES[alg];
  if (members.kty !== kty) return undefined;
  const picked: Record<string, string> = {};
  for (const member of PUBLIC_MEMBERS[kty]) {
    const value = members[member];
    if (typeof value !== 'string' || value === '') return undefined;
    picked[member] = value;
  }
  return picked;
}

function isTyp(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const lower = value.toLowerCase();
  return lower === 'dpop+jwt' || lower === 'application/dpop+jwt';
}

/** What jose's refusal of a proof means here. */
function joseFailure(error: unknown): DpopProofFailure {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'dpop_proof_signature';
  if (code === 'ERR_JWT_EXPIRED') return 'dpop_proof_too_old';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') return 'dpop_proof_claims';
  return 'dpop_proof_malformed';
}

/** A checked proof: the key it was signed with and the replay-cache entry it took. */
export interface VerifiedDpopProof {
  readonly thumbprint: string;
  readonly jti: string;
}

/**
 * Verifies a DPoP proof for a request carrying a DPoP-bound access token (RFC 9449 §4.3, §7.1), with jose.
 *
 * Protects against: a stolen token used without its key (the proof is signed by the key whose thumbprint the token's
 * `cnf.jkt` names); a proof replayed (its `jti` is remembered, per key, until the proof could no longer be accepted);
 * a proof made for another method, URL or token (`htm`, `htu` normalized, `ath`), or made long ago or dated in the
 * future (`iat` window); `alg: none`, MACs and algorithms outside the allowlist; a `jwk` header with private members,
 * of the wrong key type, or keys named by reference (`jku`, `x5u`, `x5c`); oversized and malformed proofs. The
 * cheap checks run before the key is imported and the signature verified; the replay cache is written last, so a
 * refused proof never takes a `jti`. Never throws: an unreachable replay cache is `dpop_replay_check_unavailable`.
 */
export async function verifyDpopProof(
  input: DpopProofInput,
  policy: DpopPolicy,
  keys: DpopKeyCache,
): Promise<Result<VerifiedDpopProof, DpopProofFailure>> {
  const proof = input.proof;
  if (proof === undefined) return fail('dpop_proof_missing');
  // Two DPoP headers arrive joined by ", " (RFC 9449 §4.3 check 1: not more than one); a JWS has no comma.
  if (proof.includes(',')) return fail('dpop_proof_multiple');
  if (proof.length > policy.maxProofLength) return fail('dpop_proof_oversized');
  if (!COMPACT.test(proof)) return fail('dpop_proof_malformed');

  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(proof);
    claims = decodeJwt(proof);
  } catch {
    return fail('dpop_proof_malformed');
  }
  if (!isTyp(header.typ)) return fail('dpop_proof_typ');
  const alg = header.alg;
  if (typeof alg !== 'string' || !(policy.algorithms as readonly string[]).includes(alg)) return fail('dpop_proof_alg');
  for (const name of KEY_POINTERS) if (Object.hasOwn(header, name)) return fail('dpop_proof_key');
  const jwk = publicKeyOf(header, alg as DpopAlgorithm);
  if (jwk === undefined) return fail('dpop_proof_key');

  // Cheap checks on the (still unverified) claims: a refusal trusts nothing in them, an acceptance waits for the signature.
  const { jti, htm, htu, iat, ath } = claims;
  if (typeof jti !== 'string' || jti === '' || jti.length > 256) return fail('dpop_proof_claims');
  if (typeof htm !== 'string' || typeof htu !== 'string') return fail('dpop_proof_claims');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return fail('dpop_proof_claims');
  if (htm !== input.method) return fail('dpop_htm_mismatch');
  const expectedUri = normalizeHttpUri(input.url);
  if (expectedUri === undefined || normalizeHttpUri(htu) !== expectedUri) return fail('dpop_htu_mismatch');
  const nowMs = policy.clock.now();
  const now = nowMs / 1000;
  if (iat > now + policy.leewaySeconds) return fail('dpop_proof_from_future');
  if (iat < now - policy.maxAgeSeconds - policy.leewaySeconds) return fail('dpop_proof_too_old');
  if (ath === undefined) return fail('dpop_ath_missing');
  const expectedAth = createHash('sha256').update(input.accessToken, 'ascii').digest('base64url');
  if (typeof ath !== 'string' || !equalText(ath, expectedAth)) return fail('dpop_ath_mismatch');

  // The key must be the one the token is bound to (RFC 9449 §6.1): compared before the key is imported or used.
  const name = DpopKeyCache.nameOf(alg as DpopAlgorithm, jwk);
  let known = keys.get(name);
  if (known === undefined) {
    let thumbprint: string;
    try {
      thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
    } catch {
      return fail('dpop_proof_key');
    }
    if (!equalText(thumbprint, input.boundThumbprint)) return fail('dpop_key_mismatch');
    try {
      known = await keys.remember(name, alg as DpopAlgorithm, jwk, thumbprint);
    } catch {
      return fail('dpop_proof_key');
    }
  } else if (!equalText(known.thumbprint, input.boundThumbprint)) {
    return fail('dpop_key_mismatch');
  }
  const thumbprint = known.thumbprint;
  try {
    await jwtVerify(proof, known.key, { algorithms: [alg], typ: 'dpop+jwt', currentDate: new Date(nowMs) });
  } catch (error) {
    return fail(joseFailure(error));
  }

  // Remembered until the proof falls out of the window on every instance: iat ≤ now + leeway, accepted until
  // iat + maxAge + leeway. The key is a digest, so its length is fixed and no jti can reach into another key.
  const replayKey = `dpop:${createHash('sha256').update(thumbprint).update('\n').update(jti).digest('base64url')}`;
  const rememberUntil = nowMs + (policy.maxAgeSeconds + 2 * policy.leewaySeconds) * 1000 + 1000;
  let first: boolean;
  try {
    first = await policy.replayCache.checkAndRemember(replayKey, rememberUntil);
  } catch {
    return fail('dpop_replay_check_unavailable');
  }
  if (!first) return fail('dpop_replayed');
  return ok({ thumbprint, jti });
}
