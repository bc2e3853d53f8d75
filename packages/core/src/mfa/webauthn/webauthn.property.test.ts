import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { fixture, ORIGIN, registerAuthenticator } from './test/fixture.js';
import { SoftAuthenticator } from './test/soft-authenticator.js';

const b64 = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url');

/** Either an arbitrary value or, more often, something shaped like a response with arbitrary contents. */
function hostileResponse(credentialId: string, challenge: string): fc.Arbitrary<unknown> {
  const clientData = fc.oneof(
    fc.string().map(b64),
    fc.jsonValue().map((v) => b64(JSON.stringify(v))),
    fc
      .record({ type: fc.constantFrom('webauthn.get', 'webauthn.create', 'x'), crossOrigin: fc.jsonValue() })
      .map((v) => b64(JSON.stringify({ ...v, challenge, origin: ORIGIN }))),
  );
  const bytes = fc.uint8Array({ maxLength: 300 }).map(b64);
  const cbor = fc
    .dictionary(
      fc.constantFrom('fmt', 'attStmt', 'authData', 'x'),
      fc.oneof(fc.string(), fc.uint8Array(), fc.integer()),
    )
    .map((d) => b64(isoCBOR.encode(new Map(Object.entries(d)))));
  const field = fc.oneof(bytes, cbor, fc.jsonValue(), fc.constant(undefined));
  return fc.oneof(
    fc.anything(),
    fc.jsonValue(),
    fc.record(
      {
        id: fc.oneof(fc.constant(credentialId), fc.string()),
        type: fc.oneof(fc.constant('public-key'), fc.jsonValue()),
        response: fc.record(
          {
            clientDataJSON: fc.oneof(clientData, fc.jsonValue()),
            authenticatorData: field,
            signature: field,
            userHandle: field,
            attestationObject: field,
            transports: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
          },
          { requiredKeys: [] },
        ),
        clientExtensionResults: fc.anything(),
      },
      { requiredKeys: [] },
    ).map((r) => ('id' in r ? { ...r, rawId: r.id } : r)),
  );
}

/** Flips one bit of one base64url field, the way an attacker would tamper with a captured response. */
function flip(value: string, at: number, bit: number): string {
  const bytes = Buffer.from(value, 'base64url');
  const index = at % bytes.length;
  bytes[index] = (bytes[index] ?? 0) ^ (1 << bit);
  return bytes.toString('base64url');
}

const bitArb = fc.integer({ min: 0, max: 7 });

describe('webauthn verification never throws on attacker input', () => {
  it('finishAuthentication returns a typed failure for arbitrary responses and ceremony ids', async () => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a');
    const { options: probe } = await fx.webauthn.startAuthentication();
    const responses = hostileResponse(authenticator.id, probe.challenge);
    await fc.assert(
      fc.asyncProperty(responses, fc.boolean(), fc.anything(), async (response, live, id) => {
        const ceremonyId = live ? (await fx.webauthn.startAuthentication()).ceremonyId : (id as string);
        const result = await fx.webauthn.finishAuthentication(ceremonyId, response);
        expect(result.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('finishRegistration returns a typed failure for arbitrary responses and ceremony ids', async () => {
    const fx = fixture();
    const user = { id: 'u', name: 'u' };
    await fc.assert(
      fc.asyncProperty(hostileResponse('AAAA', 'x'), fc.boolean(), fc.anything(), async (response, live, id) => {
        const ceremonyId = live ? (await fx.webauthn.startRegistration(user)).ceremonyId : (id as string);
        const result = await fx.webauthn.finishRegistration(ceremonyId, 'u', response);
        expect(result.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('ATTACK: flipping any bit of a genuine assertion makes it fail', async () => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a');
    const fields = fc.constantFrom('clientDataJSON', 'authenticatorData', 'signature');
    await fc.assert(
      fc.asyncProperty(fields, fc.nat(), bitArb, async (field, at, bit) => {
        const { ceremonyId, options } = await fx.webauthn.startAuthentication('user-a');
        const response = authenticator.authenticate(options);
        const inner = { ...response.response, [field]: flip(response.response[field], at, bit) };
        const result = await fx.webauthn.finishAuthentication(ceremonyId, { ...response, response: inner });
        expect(result.ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('ATTACK: a bit-flipped registration never throws nor registers a credential id it did not send', async () => {
    const fx = fixture();
    const fields = fc.constantFrom('clientDataJSON', 'attestationObject');
    await fc.assert(
      fc.asyncProperty(fields, fc.nat(), bitArb, async (field, at, bit) => {
        const { ceremonyId, options } = await fx.webauthn.startRegistration({ id: 'u', name: 'u' });
        const response = new SoftAuthenticator({ origin: ORIGIN }).register(options);
        const inner = { ...response.response, [field]: flip(response.response[field], at, bit) };
        // "none" attestation signs nothing, so some flips (inside the public key or the AAGUID) still register: the
        // property is that verification never throws and never stores a credential id the client did not send.
        const result = await fx.webauthn.finishRegistration(ceremonyId, 'u', { ...response, response: inner });
        if (result.ok) expect(result.value.id).toBe(response.id);
      }),
      { numRuns: 200 },
    );
  });
});
