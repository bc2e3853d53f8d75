import { expect } from 'vitest';
import { ManualClock } from '../../../clock.js';
import type { SecurityEvent } from '../../../events.js';
import { InMemoryWebAuthnChallengeStore } from '../challenge-store.js';
import { InMemoryWebAuthnCredentialStore } from '../credential-store.js';
import { createWebAuthn, type WebAuthn, type WebAuthnConfig } from '../webauthn.js';
import { SoftAuthenticator, type CeremonyOverrides, type SoftAuthenticatorOptions } from './soft-authenticator.js';

export const RP_ID = 'example.com';
export const ORIGIN = 'https://example.com';

export interface Fixture {
  readonly webauthn: WebAuthn;
  readonly clock: ManualClock;
  readonly events: SecurityEvent[];
  readonly challenges: InMemoryWebAuthnChallengeStore;
  readonly credentials: InMemoryWebAuthnCredentialStore;
}

/** A WebAuthn instance on in-memory stores, a manual clock and a recording event sink. */
export function fixture(config: Partial<WebAuthnConfig> = {}): Fixture {
  const clock = new ManualClock();
  const events: SecurityEvent[] = [];
  const challenges = new InMemoryWebAuthnChallengeStore({ clock });
  const credentials = new InMemoryWebAuthnCredentialStore();
  const webauthn = createWebAuthn({
    rpId: RP_ID,
    rpName: 'Example',
    origins: [ORIGIN],
    challenges,
    credentials,
    clock,
    events: (event) => events.push(event),
    ...config,
  });
  return { webauthn, clock, events, challenges, credentials };
}

/** Runs a full, successful registration ceremony for `userId` and returns the authenticator. */
export async function registerAuthenticator(
  fx: Fixture,
  userId: string,
  options: Partial<SoftAuthenticatorOptions> = {},
): Promise<SoftAuthenticator> {
  const authenticator = new SoftAuthenticator({ origin: ORIGIN, ...options });
  const { ceremonyId, options: creation } = await fx.webauthn.startRegistration({
    id: userId,
    name: `${userId}@example.com`,
  });
  const result = await fx.webauthn.finishRegistration(ceremonyId, userId, authenticator.register(creation));
  expect(result.ok).toBe(true);
  return authenticator;
}

/** Runs an authentication ceremony with `authenticator`, optionally for a named user and with forged fields. */
export async function authenticate(
  fx: Fixture,
  authenticator: SoftAuthenticator,
  opts: { userId?: string; expectedUserId?: string; overrides?: CeremonyOverrides } = {},
): ReturnType<WebAuthn['finishAuthentication']> {
  const { ceremonyId, options } = await fx.webauthn.startAuthentication(opts.userId);
  const response = authenticator.authenticate(options, opts.overrides);
  return fx.webauthn.finishAuthentication(ceremonyId, response, opts.expectedUserId);
}
