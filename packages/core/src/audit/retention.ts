import { createHash } from 'node:crypto';
import { ConfigurationError } from '../errors.js';
import type { SecurityEventType } from '../events.js';
import { ocsfClassOf, RAMPART_CONTROL_CHANGE_CLASS_UID } from './ocsf.js';

/** The event classes retention is stated per: the OCSF classes of `toOcsf`, by name. */
export type AuditEventClass = 'authentication' | 'account_change' | 'authorize_session' | 'api_activity' | 'control_change';

const CLASS_BY_UID: Readonly<Record<number, AuditEventClass>> = {
  3002: 'authentication',
  3001: 'account_change',
  3003: 'authorize_session',
  6003: 'api_activity',
  [RAMPART_CONTROL_CHANGE_CLASS_UID]: 'control_change',
};

const CLASSES: readonly AuditEventClass[] = ['authentication', 'account_change', 'authorize_session', 'api_activity', 'control_change'];

/** How long each class of entry keeps its content, in days. A class not named is kept forever. */
export interface RetentionPolicy {
  readonly days: Readonly<Partial<Record<AuditEventClass, number>>>;
}

/** Options for {@link checkRetentionPolicy}. */
export interface RetentionFloor {
  /**
   * The shortest period any class may have (e.g. 365 for PCI DSS 10.5.1, which asks for a year of audit history):
   * a policy below it is refused, so a typo cannot erase what a regime requires.
   */
  readonly floorDays?: number;
}

/** The class of a stored event type; `undefined` for a type this version does not know (kept, never pruned). */
export function auditEventClass(type: string): AuditEventClass | undefined {
  try {
    return CLASS_BY_UID[ocsfClassOf(type as SecurityEventType)];
  } catch {
    return undefined;
  }
}

/**
 * Refuses (`ConfigurationError`) a policy naming an unknown class, a period that is not a positive whole number of
 * days, or one below `floorDays`. Protects against a retention job that erases more than intended.
 */
export function checkRetentionPolicy(policy: RetentionPolicy, floor: RetentionFloor = {}): void {
  const floorDays = floor.floorDays ?? 1;
  if (!Number.isSafeInteger(floorDays) || floorDays < 1) throw new ConfigurationError('audit retention: floorDays must be a positive integer');
  for (const [name, days] of Object.entries(policy.days)) {
    if (!(CLASSES as readonly string[]).includes(name)) throw new ConfigurationError(`audit retention: unknown event class ${JSON.stringify(name)}`);
    if (!Number.isSafeInteger(days) || (days) < floorDays) {
      throw new ConfigurationError(`audit retention: ${name} must be kept a whole number of days, at least ${floorDays}`);
    }
  }
}

/**
 * The digest an `audit.pruned` entry carries: SHA-256 over `"<seq>:<leaf hash hex>\n"` for each pruned entry in
 * ascending seq. verify() recomputes it from the rows marked pruned by that entry, so no row can be emptied without
 * the signed record saying so.
 */
export function prunedDigest(entries: readonly { readonly seq: number; readonly leafHex: string }[]): string {
  const hash = createHash('sha256');
  for (const { seq, leafHex } of [...entries].sort((a, b) => a.seq - b.seq)) hash.update(`${seq}:${leafHex}\n`);
  return hash.digest('hex');
}
