import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../../crypto/keyring.js';
import { BackupCodes } from './backup-codes.js';
import { MemoryBackupCodeStore } from './store.js';

describe('backup code properties', () => {
  it('consume never throws on arbitrary input and returns a typed failure', async () => {
    const codes = new BackupCodes({ keyRing: KeyRing.generate(), store: new MemoryBackupCodeStore() });
    await codes.regenerate('alice');
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.anything(), fc.string(), fc.stringMatching(/^[0-9a-z-]{9,12}$/)), async (input) => {
        const result = await codes.consume('alice', input);
        // 10 live codes out of 2^50: an arbitrary value cannot hit one.
        expect(result.ok).toBe(false);
        if (!result.ok) expect(['malformed', 'invalid']).toContain(result.reason);
      }),
      { numRuns: 500 },
    );
    expect(await codes.remaining('alice')).toBe(10);
  });
});
