import type { KeyObject } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { signBytes, verifyBytes, type JwtAlgorithm } from './algorithms.js';

/*
 * Compact JWS (RFC 7515 §7.1) is three base64url segments. The alphabet is checked up front: base64url has no
 * padding and no whitespace (RFC 7515 §2), and decoders that skip whitespace or accept "=" would let one signature be
 * written in many ways (token malleability, which defeats caches and logs keyed by the token text).
 */
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/** A compact JWS split into its parts; the header is parsed by jose, nothing else is decoded yet. */
export interface CompactParts {
  readonly header: Readonly<Record<string, unknown>>;
  /** `BASE64URL(header) || "." || BASE64URL(payload)`, the exact bytes the signature covers. */
  readonly signingInput: Buffer;
  readonly payloadSegment: string;
  readonly signature: Buffer;
}

/**
 * Splits a compact JWS and parses its protected header with jose's own parser. Returns `undefined` for anything that
 * is not a well-formed compact JWS; never throws. The signature must be canonical base64url (re-encoding it gives the
 * same text), so an attacker cannot flip the unused low bits of the last character to make a "new" token.
 */
export function parseCompact(token: string): CompactParts | undefined {
  if (!COMPACT.test(token)) return undefined;
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  const signatureSegment = token.slice(second + 1);
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return undefined;
  }
  const signature = Buffer.from(signatureSegment, 'base64url');
  if (signature.toString('base64url') !== signatureSegment) return undefined;
  return {
    header,
    signingInput: Buffer.from(token.slice(0, second), 'ascii'),
    payloadSegment: token.slice(first + 1, second),
    signature,
  };
}

/** Produces a compact JWS over `payload` (raw bytes) with the given protected header. */
export function signCompact(alg: JwtAlgorithm, key: KeyObject, header: Readonly<Record<string, unknown>>, payload: Uint8Array): string {
  const signingInput = `${Buffer.from(JSON.stringify(header), 'utf8').toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
  return `${signingInput}.${signBytes(alg, key, Buffer.from(signingInput, 'ascii')).toString('base64url')}`;
}

/**
 * Checks the signature layer only (no claims): the header's `alg` must equal `alg` (the key's algorithm), so a token
 * cannot pick how its own key is used (RFC 8725 §3.1). Never throws.
 */
export function verifyCompactSignature(token: string, alg: JwtAlgorithm, key: KeyObject): boolean {
  if (typeof token !== 'string') return false;
  const parts = parseCompact(token);
  if (parts?.header.alg !== alg) return false;
  return verifyBytes(alg, key, parts.signingInput, parts.signature);
}
