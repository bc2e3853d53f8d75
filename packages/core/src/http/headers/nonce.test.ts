/*
 * The per-request nonce. Attack: an attacker who can predict or reuse a nonce marks injected scripts with it. Each
 * nonce must be at least 128 random bits, fresh per request, never repeated — including across pool refills.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { CSP_NONCE, cspNonce, NONCE_BYTES, securityHeaders } from './index.js';
import { freshNonce } from './nonce.js';
import { run } from './test/run.js';

describe('CSP nonces', () => {
  it('attack: no nonce repeats over many requests (several pool refills)', () => {
    const seen = new Set<string>();
    for (let index = 0; index < 5_000; index += 1) seen.add(freshNonce());
    expect(seen.size).toBe(5_000);
  });

  it('each nonce is base64 of 18 bytes (144 bits), and its bits vary (not a counter or a constant)', () => {
    const nonces = Array.from({ length: 512 }, freshNonce);
    const ones = new Array<number>(NONCE_BYTES * 8).fill(0);
    for (const nonce of nonces) {
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{24}$/);
      const bytes = Buffer.from(nonce, 'base64');
      expect(bytes.length).toBe(NONCE_BYTES);
      for (let bit = 0; bit < NONCE_BYTES * 8; bit += 1) ones[bit] = (ones[bit] ?? 0) + (((bytes[bit >> 3] ?? 0) >> (bit & 7)) & 1);
    }
    // Every one of the 144 bit positions takes both values across 512 draws (a fixed bit would show 0 or 512).
    for (const count of ones) expect(count).toBeGreaterThan(150);
    for (const count of ones) expect(count).toBeLessThan(362);
  });

  it('the guard puts a fresh nonce in the header and the context, the same one in both', () => {
    const guard = securityHeaders({ preset: 'web' });
    const first = run(guard);
    const second = run(guard);
    const nonce = cspNonce(first.context);
    expect(first.headers.get('content-security-policy')).toContain(`script-src 'nonce-${nonce}' 'strict-dynamic'`);
    expect(first.headers.get('content-security-policy')).toContain(`style-src 'self' 'nonce-${nonce}'`);
    expect(second.context.get(CSP_NONCE)).not.toBe(nonce);
  });

  it('cspNonce throws rather than render a page with no nonce', () => {
    expect(() => cspNonce(run(securityHeaders({ preset: 'api' })).context)).toThrow(ConfigurationError);
  });
});
