/**
 * Second factors of the server's accounts: TOTP with an encrypted secret and a QR code, backup codes, passkeys
 * (registration, passkey login, step-up). See README.md.
 */
import { ConfigurationError } from '@rampart/core';
import { FieldCipher } from '@rampart/core/crypto';
import { BackupCodes, Totp } from '@rampart/core/mfa';
import { gcra } from '@rampart/core/ratelimit';
import type { LoginFlow, SecondFactors } from '../auth/contracts.js';
import type { ServerContext } from '../context.js';
import { SqlBackupCodeStore, SqlTotpReplayStore } from '../stores/index.js';
import { clockedSink, mfaEvents } from './events.js';
import { createSecondFactors } from './factors.js';
import { clientLimit } from './limits.js';
import { registerPasskeyLoginRoutes } from './passkey-login.js';
import { PasskeyRegistry } from './passkey-registry.js';
import { Passkeys, type RelyingParty } from './passkeys.js';
import { registerEnrollmentRoutes } from './routes.js';
import { registerPasskeyStepUp } from './step-up.js';
import { TotpFactor } from './totp.js';

export { createSecondFactors, type SecondFactorsDeps } from './factors.js';
export { PasskeyRegistry, type PasskeySummary } from './passkey-registry.js';
export { passkeyMethod, Passkeys, relyingPartyOf, type RelyingParty } from './passkeys.js';
export { TOTP_PENDING_TTL_MS, TotpFactor } from './totp.js';
export type { MfaTables } from './schema.js';

/** What the MFA module gives the server. */
export interface MfaModule {
  /** Enrolled factors and their verification, for the login flow. */
  readonly factors: SecondFactors;
  /** The WebAuthn relying party, or `undefined` when the public URL cannot carry passkeys (an IP address, plain http). */
  readonly relyingParty: RelyingParty | undefined;
  /** Registers the passkey login routes (second factor and passkey-only), once the login flow exists. */
  registerPasskeyLogin(flow: LoginFlow): void;
}

/** Passkey login and step-up requests per client address. */
const PASSKEY_CLIENT_POLICY = gcra(60, 300);

/** Backup codes per set: ten, each 50 bits (core's default). */
const BACKUP_CODE_COUNT = 10;

/**
 * Builds the MFA module and registers its enrollment and step-up routes; the passkey login routes follow with
 * {@link MfaModule.registerPasskeyLogin}.
 *
 * Protects against the threats listed in README.md: factors changed without a recent full authentication, TOTP
 * secrets readable from a database dump, code replay and guessing, backup-code reuse, passkey phishing, replay and
 * cloning, and one user's factor acting for another.
 */
export function createMfaModule(ctx: ServerContext): Promise<MfaModule> {
  const { app, clock, database } = ctx;
  const events = mfaEvents(ctx.events, clock);
  const sink = clockedSink(ctx.events, clock);
  // The server's counters: Redis when configured (every instance counts together), else this process's memory.
  const limits = ctx.rateLimits;
  const totp = new TotpFactor({
    db: ctx.db,
    totp: new Totp({ issuer: new URL(ctx.publicUrl).hostname, replayStore: new SqlTotpReplayStore(database), clock, events: sink }),
    cipher: new FieldCipher(ctx.ring),
    clock,
    events,
  });
  const backupCodes = new BackupCodes({ keyRing: ctx.ring, store: new SqlBackupCodeStore(database), count: BACKUP_CODE_COUNT, events: sink });

  const registry = new PasskeyRegistry(ctx.db, events);
  let passkeys: Passkeys | undefined;
  try {
    passkeys = new Passkeys({ database, publicUrl: ctx.publicUrl, origin: ctx.origin, clock, sink, events, registry });
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    // Passkeys need a domain (and https, or http://localhost): without one the server still runs, and the passkey routes
    // answer 503 mfa.passkeys_unavailable. Said once at start, like every loosening.
    app.log.warn({ publicUrl: ctx.publicUrl }, 'passkeys unavailable: the public URL is not a WebAuthn origin (use a domain name over https, or http://localhost)');
  }

  // Passkey login and step-up, per client address: 60 in 5 minutes (a login takes two requests).
  const passkeyLimit = clientLimit(limits, PASSKEY_CLIENT_POLICY, 'passkey', ctx.events, clock);
  registerEnrollmentRoutes(app, { db: ctx.db, clock, totp, backupCodes, passkeys, registry });
  registerPasskeyStepUp(app, { clock, sessions: ctx.sessions, passkeys, limit: passkeyLimit });

  let loginRegistered = false;
  return Promise.resolve({
    factors: createSecondFactors({ totp, backupCodes, passkeys: registry, limits, events, sink, clock }),
    relyingParty: passkeys?.relyingParty,
    registerPasskeyLogin(flow: LoginFlow): void {
      if (loginRegistered) throw new Error('the passkey login routes are registered already');
      loginRegistered = true;
      registerPasskeyLoginRoutes(app, { db: ctx.db, clock, passkeys, flow, limit: passkeyLimit, events });
    },
  });
}
