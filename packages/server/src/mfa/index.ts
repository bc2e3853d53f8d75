import type { LoginFlow, SecondFactors } from '../auth/contracts.js';
import type { ServerContext } from '../context.js';

/** What the MFA module gives the server. */
export interface MfaModule {
  /** Enrolled factors and their verification, for the login flow. */
  readonly factors: SecondFactors;
  /** Registers the passkey login routes (second factor and passkey-only), once the login flow exists. */
  registerPasskeyLogin(flow: LoginFlow): void;
}

/** Builds the MFA module and registers its enrollment routes. */
export function createMfaModule(_ctx: ServerContext): Promise<MfaModule> {
  return Promise.resolve({
    factors: {
      enrolled: () => Promise.resolve({ totp: false, backupCodes: 0, passkeys: 0 }),
      verifyTotp: () => Promise.resolve({ ok: false, reason: 'not_enrolled' }),
      verifyBackupCode: () => Promise.resolve({ ok: false, reason: 'not_enrolled' }),
    },
    registerPasskeyLogin: () => undefined,
  });
}
