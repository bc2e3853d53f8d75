/**
 * Second factors of the server's accounts: TOTP with an encrypted secret and a QR code, backup codes, passkeys
 * (registration, passkey login, step-up). See README.md.
 */
import { gcra } from '@rampart/core/ratelimit';
import type { LoginFlow, SecondFactors } from '../auth/contracts.js';
import type { ServerContext } from '../context.js';
import { AccountFactors, buildFactorServices } from './account-factors.js';
import { clockedSink } from './events.js';
import { createSecondFactors } from './factors.js';
import { clientLimit } from './limits.js';
import { registerPasskeyLoginRoutes } from './passkey-login.js';
import type { RelyingParty } from './passkeys.js';
import { registerEnrollmentRoutes } from './routes.js';
import { registerPasskeyStepUp } from './step-up.js';

export { AccountFactors, buildFactorServices, type FactorServices, type FactorSummary } from './account-factors.js';
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

/**
 * Builds the MFA module and registers its enrollment and step-up routes; the passkey login routes follow with
 * {@link MfaModule.registerPasskeyLogin}.
 *
 * Protects against the threats listed in README.md: factors changed without a recent full authentication, TOTP
 * secrets readable from a database dump, code replay and guessing, backup-code reuse, passkey phishing, replay and
 * cloning, and one user's factor acting for another.
 */
export function createMfaModule(ctx: ServerContext): Promise<MfaModule> {
  const { app, clock } = ctx;
  const sink = clockedSink(ctx.events, clock);
  // The server's counters: Redis when configured (every instance counts together), else this process's memory.
  const limits = ctx.rateLimits;
  const services = buildFactorServices(ctx);
  const { totp, backupCodes, registry, passkeys, events } = services;
  if (passkeys === undefined) {
    // Passkeys need a domain (and https, or http://localhost): without one the server still runs, and the passkey routes
    // answer 503 mfa.passkeys_unavailable. Said once at start, like every loosening.
    app.log.warn({ publicUrl: ctx.publicUrl }, 'passkeys unavailable: the public URL is not a WebAuthn origin (use a domain name over https, or http://localhost)');
  }

  // Passkey login and step-up, per client address: 60 in 5 minutes (a login takes two requests).
  const passkeyLimit = clientLimit(limits, PASSKEY_CLIENT_POLICY, 'passkey', ctx.events, clock);
  registerEnrollmentRoutes(app, { db: ctx.db, clock, totp, passkeys, factors: new AccountFactors(services) });
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
