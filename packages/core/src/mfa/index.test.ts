/*
 * The mfa area composed as a second-factor step: a TOTP code or a backup code, each good exactly once.
 * Attack: a phished code (TOTP or backup) replayed by the attacker after the user used it is refused.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { KeyRing } from '../crypto/keyring.js';
import { BackupCodes, MemoryBackupCodeStore, MemoryTotpReplayStore, Totp } from './index.js';

describe('mfa area: second factor', () => {
  it('attack: every phished second factor is single use', async () => {
    const clock = new ManualClock();
    const totp = new Totp({ issuer: 'Example', replayStore: new MemoryTotpReplayStore({ clock }), clock });
    const backup = new BackupCodes({ keyRing: KeyRing.generate(), store: new MemoryBackupCodeStore() });
    const { secret } = await totp.enroll({ label: 'alice@example.com' });
    const codes = await backup.regenerate('alice');

    const secondFactor = async (code: string): Promise<boolean> =>
      (await totp.verify({ subject: 'alice', secret, code })).ok || (await backup.consume('alice', code)).ok;

    const totpCode = totp.generate(secret);
    const backupCode = codes[0] ?? '';
    expect(await secondFactor(totpCode)).toBe(true);
    expect(await secondFactor(backupCode)).toBe(true);
    expect(await secondFactor(totpCode)).toBe(false);
    expect(await secondFactor(backupCode)).toBe(false);

    clock.advance(30_000); // the next step's code is a new code
    expect(await secondFactor(totp.generate(secret))).toBe(true);
  });
});
