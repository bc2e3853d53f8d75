import { ConfigurationError } from '@rampart/core';
import { FieldCipher } from '@rampart/core/crypto';
import { BackupCodes, Totp } from '@rampart/core/mfa';
import type { ServerContext } from '../context.js';
import { SqlBackupCodeStore, SqlTotpReplayStore } from '../stores/index.js';
import { clockedSink, mfaEvents, type MfaEvents } from './events.js';
import { PasskeyRegistry, type PasskeySummary } from './passkey-registry.js';
import { Passkeys } from './passkeys.js';
import { TotpFactor } from './totp.js';
import { credentialIdParam } from './webauthn-json.js';

/** Backup codes per set: ten, each 50 bits (core's default). */
const BACKUP_CODE_COUNT = 10;

/** The account's factors at a glance (`GET /v1/mfa`, the account pages). Counts and flags only, never a secret. */
export interface FactorSummary {
  readonly totp: { readonly enrolled: boolean; readonly pending: boolean };
  readonly backupCodes: { readonly remaining: number };
  readonly passkeys: { readonly count: number; readonly disabled: number; readonly available: boolean };
  /** Whether a password login needs a second step (TOTP or a passkey: `requiresSecondFactor`). */
  readonly secondFactorRequired: boolean;
}

/** The factor stores and ceremonies of the server, built once per user of them (they keep no state outside the database). */
export interface FactorServices {
  readonly totp: TotpFactor;
  readonly backupCodes: BackupCodes;
  readonly registry: PasskeyRegistry;
  /** `undefined` when the public URL cannot run WebAuthn ceremonies (an IP address, plain http off localhost). */
  readonly passkeys: Passkeys | undefined;
  readonly events: MfaEvents;
}

/**
 * Builds the server's factor services from its context: TOTP with secrets encrypted under a KEK-derived key and the
 * SQL replay store, backup codes keyed by the ring, the passkey registry and — when the public URL is a WebAuthn
 * origin — the passkey ceremonies. The MFA module's routes and the account pages use the same construction, so both
 * enforce the same replay stores, keys and limits.
 *
 * Protects against two paths to one factor disagreeing (another key, another replay store, another code count).
 */
export function buildFactorServices(ctx: ServerContext): FactorServices {
  const { clock, database } = ctx;
  const events = mfaEvents(ctx.events, clock);
  const sink = clockedSink(ctx.events, clock);
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
    // Passkeys need a domain (and https, or http://localhost); without one the ceremonies answer 503 and the rest works.
    if (!(error instanceof ConfigurationError)) throw error;
  }
  return { totp, backupCodes, registry, passkeys, events };
}

/**
 * What the signed-in owner does with their own factors outside the ceremonies: the summary, a new set of backup
 * codes, the passkey list and removal. One implementation for the JSON routes (`/v1/mfa…`) and the account pages; the
 * callers check step-up first (`requireStepUp`) for the changes.
 *
 * Protects against IDOR (every read and change names the owner: another user's passkey id reads as unknown and
 * removes nothing), and against secrets in lists (no public key, counter or code in any answer but the new codes).
 */
export class AccountFactors {
  readonly #services: FactorServices;

  constructor(services: FactorServices) {
    this.#services = services;
  }

  /** Whether this server can run passkey ceremonies (its public URL is a WebAuthn origin). */
  get passkeysAvailable(): boolean {
    return this.#services.passkeys !== undefined;
  }

  /** The user's factors: TOTP enrolled or pending, backup codes left, passkeys (and how many are disabled). */
  async summary(userId: string): Promise<FactorSummary> {
    const { totp, backupCodes, registry, passkeys } = this.#services;
    const [status, remaining, counted] = await Promise.all([totp.status(userId), backupCodes.remaining(userId), registry.count(userId)]);
    return {
      totp: { enrolled: status.enrolled, pending: status.pending },
      backupCodes: { remaining },
      passkeys: { count: counted.total, disabled: counted.disabled, available: passkeys !== undefined },
      // contracts.ts requiresSecondFactor: TOTP or a passkey; backup codes only recover such an account.
      secondFactorRequired: status.enrolled || counted.total > 0,
    };
  }

  /**
   * A new set of backup codes, replacing the whole old set in one transaction (core's `BackupCodes.regenerate`, which
   * reports `mfa.backup_codes.regenerated` with a count, no code). The codes exist in clear only in this answer.
   */
  regenerateBackupCodes(userId: string): Promise<readonly string[]> {
    return this.#services.backupCodes.regenerate(userId);
  }

  /** The user's passkeys, oldest first (no public key, no counter). */
  listPasskeys(userId: string): Promise<PasskeySummary[]> {
    return this.#services.registry.list(userId);
  }

  /**
   * Removes the user's passkey `credentialId`. `false` for a malformed id, an unknown one and another user's alike
   * (no existence oracle); emits `mfa.webauthn.removed` when one was removed.
   */
  async removePasskey(userId: string, credentialId: unknown): Promise<boolean> {
    const checked = credentialIdParam.check({ id: credentialId });
    return checked.ok && (await this.#services.registry.remove(userId, checked.value.id));
  }
}
