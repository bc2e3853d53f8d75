import { randomFillSync } from 'node:crypto';
import { ConfigurationError } from '../../errors.js';
import { contextKey, type ContextKey, type GuardContext } from '../chain/types.js';

/**
 * Bytes per nonce: 144 bits, above the 128 CSP3 §7.1 asks for, so a nonce cannot be guessed within its one response.
 * A multiple of 3, so each nonce is exactly 24 base64 characters with no padding.
 */
export const NONCE_BYTES = 18;
const NONCE_CHARS = (NONCE_BYTES / 3) * 4;
const POOL_NONCES = 256;

/*
 * Nonces come from a pool filled by the OS CSPRNG and handed out once each (as node's randomUUID does): one
 * randomFillSync and one base64 encoding per 256 requests instead of one per request. Because NONCE_BYTES is a
 * multiple of 3, the base64 of the whole pool is the concatenation of the base64 of each 18-byte slice, so a nonce is
 * a 24-character slice of it. The offset moves past each slice as it is handed out, so no two responses share a
 * nonce. The pool is module state of a single-threaded isolate; worker threads and cluster processes each load their own.
 */
const POOL = Buffer.alloc(NONCE_BYTES * POOL_NONCES);
let encoded = '';
let offset = 0;

/** A fresh CSP nonce: base64 of 18 bytes from the CSPRNG, never handed out twice. */
export function freshNonce(): string {
  if (offset === encoded.length) {
    randomFillSync(POOL);
    encoded = POOL.toString('base64');
    offset = 0;
  }
  const nonce = encoded.slice(offset, offset + NONCE_CHARS);
  offset += NONCE_CHARS;
  return nonce;
}

/** Where the headers guard puts this request's CSP nonce. */
export const CSP_NONCE: ContextKey<string> = contextKey<string>('csp-nonce');

/**
 * This request's CSP nonce, for templates: `<script nonce="${cspNonce(context)}">`. Only scripts carrying it run, so
 * markup an attacker injects into the page cannot execute. Throws if the headers guard did not run or its policy has
 * no nonce — a page rendered without one would have its own scripts blocked, and a guessed or empty nonce must never
 * stand in.
 */
export function cspNonce(context: Pick<GuardContext, 'get'>): string {
  const nonce = context.get(CSP_NONCE);
  if (nonce === undefined) {
    throw new ConfigurationError('no CSP nonce for this request: run securityHeaders() with a policy that uses NONCE first');
  }
  return nonce;
}
