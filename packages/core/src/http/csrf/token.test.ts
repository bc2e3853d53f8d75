/*
 * The signed token on its own. Attacks: a token minted for another session, tampered or truncated tokens, a made-up
 * kid, a retired kid — none verifies; key rotation keeps earlier tokens valid until their kid is retired.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../../crypto/keyring.js';
import { CsrfTokenCodec, MAX_TOKEN_LENGTH, sameToken } from './token.js';

const SESSION = 'session-a';

describe('CsrfTokenCodec', () => {
  it('mints <nonce>.<kid>.<mac> tokens that verify for their own session', () => {
    const ring = KeyRing.generate();
    const codec = new CsrfTokenCodec(ring);
    const token = codec.mint(SESSION);
    expect(token).toMatch(new RegExp(`^[A-Za-z0-9_-]{43}\\.${ring.active.kid}\\.[A-Za-z0-9_-]{43}$`));
    expect(token.length).toBeLessThanOrEqual(MAX_TOKEN_LENGTH);
    expect(codec.verify(token, SESSION)).toBe(true);
    expect(codec.mint(SESSION)).not.toBe(token);
  });

  it('attack: a token minted for another session (or for no session) does not verify', () => {
    const codec = new CsrfTokenCodec(KeyRing.generate());
    expect(codec.verify(codec.mint('session-b'), SESSION)).toBe(false);
    expect(codec.verify(codec.mint(''), SESSION)).toBe(false);
    expect(codec.verify(codec.mint(SESSION), '')).toBe(false);
  });

  it('attack: a token already verified (and remembered) still fails for another session and after its kid is retired', () => {
    const ring = KeyRing.generate();
    const codec = new CsrfTokenCodec(ring);
    const token = codec.mint(SESSION);
    expect(codec.verify(token, SESSION)).toBe(true); // now remembered
    expect(codec.verify(token, SESSION)).toBe(true);
    expect(codec.verify(token, 'session-b')).toBe(false);
    expect(codec.verify(token, `${SESSION}x`)).toBe(false);
    expect(codec.verify(token, '')).toBe(false);
    const oldKid = ring.active.kid;
    ring.rotate();
    expect(codec.verify(token, SESSION)).toBe(true);
    ring.retire(oldKid);
    expect(codec.verify(token, SESSION)).toBe(false);
  });

  it('remembers a bounded number of tokens, and forgetting one only costs a fresh HMAC', () => {
    const codec = new CsrfTokenCodec(KeyRing.generate());
    const first = codec.mint('s-0');
    expect(codec.verify(first, 's-0')).toBe(true);
    for (let index = 1; index <= 10_050; index += 1) expect(codec.verify(codec.mint(`s-${index}`), `s-${index}`)).toBe(true);
    expect(codec.verify(first, 's-0')).toBe(true);
    expect(codec.verify(first, 's-1')).toBe(false);
  });

  it('attack: a binding containing the separator cannot shift bytes between binding and nonce', () => {
    const codec = new CsrfTokenCodec(KeyRing.generate());
    const token = codec.mint('a|b');
    expect(codec.verify(token, 'a')).toBe(false);
    expect(codec.verify(token, 'a|b|')).toBe(false);
  });

  it('attack: a token from a different ring (another deployment, a guessed key) does not verify', () => {
    const mine = new CsrfTokenCodec(KeyRing.generate());
    const theirs = new CsrfTokenCodec(KeyRing.generate());
    expect(mine.verify(theirs.mint(SESSION), SESSION)).toBe(false);
  });

  it('attack: tampered nonce, tampered mac, swapped kid, truncated or extended tokens do not verify', () => {
    const ring = KeyRing.generate();
    const codec = new CsrfTokenCodec(ring);
    const token = codec.mint(SESSION);
    const [nonce = '', kid = '', mac = ''] = token.split('.');
    const flip = (s: string, i: number): string => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const variants = [
      `${flip(nonce, 0)}.${kid}.${mac}`,
      `${nonce}.${kid}.${flip(mac, 10)}`,
      `${nonce}.${kid}.${flip(mac, 42)}`,
      `${nonce}.other-kid.${mac}`,
      `${nonce}.${kid}`,
      token.slice(0, -1),
      `${token}A`,
      `${nonce}.${kid}.${mac}.`,
      `${nonce}..${mac}`,
      `${nonce}.${kid}!.${mac}`,
      '',
      '..',
    ];
    for (const variant of variants) expect(codec.verify(variant, SESSION), variant).toBe(false);
  });

  it('attack: a non-canonical spelling of the same MAC bytes is refused (one token, one spelling)', () => {
    const codec = new CsrfTokenCodec(KeyRing.generate());
    const token = codec.mint(SESSION);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(token.at(-1) ?? '');
    const sibling = `${token.slice(0, -1)}${alphabet[last + 1] ?? ''}`;
    expect(Buffer.from(sibling.slice(-43), 'base64url')).toEqual(Buffer.from(token.slice(-43), 'base64url'));
    expect(codec.verify(sibling, SESSION)).toBe(false);
  });

  it('sameToken: equal strings only, whatever the length or encoding', () => {
    expect(sameToken('abc', 'abc')).toBe(true);
    expect(sameToken('abc', 'abd')).toBe(false);
    expect(sameToken('abc', 'abcd')).toBe(false);
    expect(sameToken('\u00e9b', 'ab')).toBe(false);
    expect(sameToken('\u00e9', '\u00e8')).toBe(false);
    expect(sameToken('x'.repeat(MAX_TOKEN_LENGTH + 1), 'x'.repeat(MAX_TOKEN_LENGTH + 1))).toBe(false);
  });

  it('non-string input is invalid, never an exception', () => {
    const codec = new CsrfTokenCodec(KeyRing.generate());
    for (const value of [undefined, null, 1, {}, [], Buffer.from('x')]) expect(codec.verify(value, SESSION)).toBe(false);
  });

  it('rotation: tokens of the previous kid verify until that kid is retired', () => {
    const ring = KeyRing.generate();
    const codec = new CsrfTokenCodec(ring);
    const before = codec.mint(SESSION);
    const oldKid = ring.active.kid;
    ring.rotate();
    const after = codec.mint(SESSION);
    expect(after).toContain(`.${ring.active.kid}.`);
    expect(codec.verify(before, SESSION)).toBe(true);
    expect(codec.verify(after, SESSION)).toBe(true);
    ring.retire(oldKid);
    expect(codec.verify(before, SESSION)).toBe(false);
    expect(codec.verify(after, SESSION)).toBe(true);
  });

  it('property: arbitrary strings never throw and never verify', () => {
    const ring = KeyRing.generate();
    const codec = new CsrfTokenCodec(ring);
    const kid = ring.active.kid;
    const b64 = fc.stringMatching(/^[A-Za-z0-9_-]{43}$/);
    const candidates = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.tuple(b64, b64).map(([n, m]) => `${n}.${kid}.${m}`),
      fc.tuple(b64, fc.string(), b64).map(([n, k, m]) => `${n}.${k}.${m}`),
    );
    fc.assert(
      fc.property(candidates, fc.string({ maxLength: 50 }), (token, binding) => {
        expect(codec.verify(token, binding)).toBe(false);
      }),
    );
  });
});
