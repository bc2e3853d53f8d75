import { URI, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { ConfigurationError } from '../../errors.js';
import { MemoryTotpReplayStore } from './replay-store.js';
import { decodeTotpSecret, generateTotpSecret } from './secret.js';
import { Totp } from './totp.js';
import { TotpSecretError } from './errors.js';

function totp(overrides: Record<string, unknown> = {}): Totp {
  const clock = new ManualClock();
  return new Totp({ issuer: 'Rampart Demo', clock, replayStore: new MemoryTotpReplayStore({ clock }), ...overrides });
}

describe('TOTP enrollment', () => {
  it('returns a ≥160-bit secret, an otpauth:// URI that carries the configuration, and an SVG QR code', async () => {
    const enrollment = await totp({ algorithm: 'SHA256', digits: 8 }).enroll({ label: 'alice@example.com' });

    expect(decodeTotpSecret(enrollment.secret).bytes.length).toBe(32); // SHA-256 default: the hash size
    const parsed = URI.parse(enrollment.uri);
    expect(parsed).toBeInstanceOf(TOTP);
    expect(parsed).toMatchObject({ issuer: 'Rampart Demo', label: 'alice@example.com', algorithm: 'SHA256', digits: 8, period: 30 });
    expect(parsed.secret.base32).toBe(enrollment.secret);
    expect(enrollment.uri.startsWith('otpauth://totp/Rampart%20Demo:alice%40example.com?')).toBe(true);
    expect(enrollment.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  });

  it('generates a fresh secret each time', async () => {
    const t = totp();
    const secrets = await Promise.all(Array.from({ length: 5 }, () => t.enroll({ label: 'a' }).then((e) => e.secret)));
    expect(new Set(secrets).size).toBe(5);
    expect(decodeTotpSecret(secrets[0]!).bytes.length).toBe(20);
  });

  it('the enrolled secret verifies a first code (proof of possession before activation)', async () => {
    const t = totp();
    const { secret } = await t.enroll({ label: 'alice' });
    expect((await t.verify({ subject: 'alice', secret, code: t.generate(secret) })).ok).toBe(true);
  });

  it('imports a long-enough existing secret and canonicalises it', async () => {
    const enrollment = await totp().enroll({ label: 'alice', secret: 'gezd gnbv gy3t qojq gezd gnbv gy3t qojq' });
    expect(enrollment.secret).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });

  it('refuses a secret that is not base32, without echoing it', async () => {
    const error: unknown = await totp().enroll({ label: 'alice', secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ!' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TotpSecretError);
    expect((error as TotpSecretError).code).toBe('TOTP_SECRET_INVALID');
    expect((error as Error).message).not.toContain('GEZD');
    expect((error as Error).cause).toBeUndefined();
  });

  it('refuses an empty label', async () => {
    await expect(totp().enroll({ label: ' ' })).rejects.toBeInstanceOf(ConfigurationError);
  });
});

describe('TOTP secrets', () => {
  it('generateTotpSecret refuses fewer than 160 bits', () => {
    expect(() => generateTotpSecret(10)).toThrow(ConfigurationError);
    expect(() => generateTotpSecret(19)).toThrow(ConfigurationError);
    expect(decodeTotpSecret(generateTotpSecret(20)).bytes.length).toBe(20);
    expect(decodeTotpSecret(generateTotpSecret(64)).bytes.length).toBe(64);
  });

  it('decodeTotpSecret refuses 80-bit and 152-bit secrets and non-strings', () => {
    expect(() => decodeTotpSecret('JBSWY3DPEHPK3PXP')).toThrow(expect.objectContaining({ code: 'TOTP_SECRET_TOO_SHORT' }) as Error);
    expect(() => decodeTotpSecret('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOI')).toThrow(TotpSecretError); // 19 bytes
    expect(() => decodeTotpSecret(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'TOTP_SECRET_INVALID' }) as Error);
  });
});

describe('TOTP configuration', () => {
  it.each([
    ['no issuer', { issuer: '' }],
    ['no replay store', { replayStore: undefined }],
    ['an unknown hash', { algorithm: 'MD5' }],
    ['4 digits', { digits: 4 }],
    ['9 digits', { digits: 9 }],
    ['a window of 3', { window: 3 }],
    ['a negative window', { window: -1 }],
    ['an 80-bit secret size', { secretBytes: 10 }],
  ])('refuses %s', (_name, overrides) => {
    expect(() => totp(overrides)).toThrow(ConfigurationError);
  });
});
