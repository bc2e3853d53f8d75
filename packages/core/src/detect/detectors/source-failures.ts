import { addressKey } from '../../ratelimit/keys.js';
import { positive, stringAttribute, subjectOf, type DetectorContext } from '../detector.js';
import type { SecurityEvent } from '../../events.js';

/** Failed logins of one source address inside a window: attempts, distinct accounts and their mean. */
export interface SourceFailures {
  readonly source: string;
  readonly attempts: number;
  readonly accounts: number;
  readonly attemptsPerAccount: number;
  readonly first: number;
  readonly last: number;
}

/** Options shared by the per-source detectors. */
export interface SourceOptions {
  /** Attribute holding the client address. Default `clientIp`. */
  readonly sourceAttribute?: string;
  /** IPv6 sources are counted per prefix of this length: one client usually holds a whole /64. Default 64. */
  readonly ipv6PrefixLength?: number;
}

/** Counts a failed login under its source; `undefined` when the event has no source or no account. */
export async function countSourceFailure(
  prefix: string,
  event: SecurityEvent,
  options: SourceOptions,
  windowMs: number,
  { counter }: DetectorContext,
): Promise<SourceFailures | undefined> {
  const account = subjectOf(event);
  const address = stringAttribute(event, options.sourceAttribute ?? 'clientIp');
  if (account === undefined || address === undefined) return undefined;
  const source = addressKey(address, positive('ipv6PrefixLength', options.ipv6PrefixLength, 64));
  const distinct = await counter.addDistinct(`${prefix}:s:${source}`, account, windowMs);
  const hits = await counter.hit(`${prefix}:n:${source}`, windowMs);
  const accounts = distinct.distinct;
  return {
    source,
    attempts: hits.count,
    accounts,
    attemptsPerAccount: Math.round((hits.count / accounts) * 100) / 100,
    first: Math.min(hits.first, distinct.first),
    last: hits.last,
  };
}
