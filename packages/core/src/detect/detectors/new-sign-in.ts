import { createHash } from 'node:crypto';
import { HOUR, positive, stringAttribute, subjectOf, type Detector } from '../detector.js';

/** Maps a client address to a country code (ISO 3166-1 alpha-2); `undefined` when unknown. Nothing is bundled. */
export type LocateAddress = (address: string) => string | undefined;

export interface NewDeviceOptions {
  /** Attributes naming the device, the first present wins. Default `deviceId`, then `userAgent`. */
  readonly deviceAttributes?: readonly string[];
  /** Default 1 hour: several new devices of one account within it are one alert. */
  readonly dedupeMs?: number;
}

export interface NewCountryOptions {
  readonly locate: LocateAddress;
  /** Attribute holding the client address. Default `clientIp`. */
  readonly sourceAttribute?: string;
  /** Default 1 hour. */
  readonly dedupeMs?: number;
}

/** Device strings are remembered and reported as a short digest: a user agent is attacker-chosen text of any size. */
function deviceDigest(device: string): string {
  return createHash('sha256').update(device).digest('base64url').slice(0, 16);
}

const COUNTRY = /^[A-Z]{2}$/;

/**
 * New device on a successful login: an account that has signed in before, from a device it never used. Protects
 * against a takeover (phished or stuffed password, stolen session cookie replayed on login) passing as the owner. The
 * first login of an account only records its device: without history there is nothing to compare with.
 */
export function newDeviceDetector(options: NewDeviceOptions = {}): Detector {
  const name = 'new_device';
  const attributes = options.deviceAttributes ?? ['deviceId', 'userAgent'];
  const dedupeMs = positive('newDevice.dedupeMs', options.dedupeMs, HOUR);
  return {
    name,
    types: ['auth.login.succeeded'],
    async inspect(event, { firstSeen, clock }) {
      const account = subjectOf(event);
      if (account === undefined) return undefined;
      let device: string | undefined;
      for (const attribute of attributes) {
        device = stringAttribute(event, attribute);
        if (device !== undefined) break;
      }
      if (device === undefined) return undefined;
      const digest = deviceDigest(device);
      const seen = await firstSeen.remember(`device:${account}`, digest);
      if (!seen.hadHistory || !seen.isNew) return undefined;
      const now = clock.now();
      return {
        detector: name,
        key: account,
        keyKind: 'account',
        subject: account,
        severity: 'low',
        count: 1,
        threshold: 1,
        windowMs: dedupeMs,
        first: now,
        last: now,
        details: { device: digest },
      };
    },
  };
}

/**
 * New country on a successful login, by the pluggable `locate` port. Protects against a takeover from abroad passing
 * as the owner; an address `locate` cannot place (or a `locate` that fails) is skipped, never guessed.
 */
export function newCountryDetector(options: NewCountryOptions): Detector {
  const name = 'new_country';
  const sourceAttribute = options.sourceAttribute ?? 'clientIp';
  const dedupeMs = positive('newCountry.dedupeMs', options.dedupeMs, HOUR);
  return {
    name,
    types: ['auth.login.succeeded'],
    async inspect(event, { firstSeen, clock }) {
      const account = subjectOf(event);
      const address = stringAttribute(event, sourceAttribute);
      if (account === undefined || address === undefined) return undefined;
      const located = options.locate(address);
      const country = typeof located === 'string' ? located.toUpperCase() : undefined;
      if (country === undefined || !COUNTRY.test(country)) return undefined;
      const seen = await firstSeen.remember(`country:${account}`, country);
      if (!seen.hadHistory || !seen.isNew) return undefined;
      const now = clock.now();
      return {
        detector: name,
        key: account,
        keyKind: 'account',
        subject: account,
        severity: 'medium',
        count: 1,
        threshold: 1,
        windowMs: dedupeMs,
        first: now,
        last: now,
        details: { country, clientIp: address },
      };
    },
  };
}
