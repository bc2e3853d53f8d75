import { createHash, createPublicKey, verify } from 'node:crypto';
import { cose, decodeCredentialPublicKey } from '@simplewebauthn/server/helpers';

/**
 * Second, strict check of an ES256 assertion signature, run after `@simplewebauthn/server` has accepted it.
 *
 * Protects against signature malleability: the library's ASN.1 reader ignores the outer SEQUENCE tag class and length
 * of an ECDSA signature, so flipping bits there yields a different signature string that still verifies. WebAuthn L3
 * §6.5.5 requires DER, which is canonical; OpenSSL (through node:crypto) re-encodes and compares, and refuses
 * anything else. A malleated signature cannot forge a new assertion, but Rampart accepts exactly one encoding of
 * each signature so that nothing downstream (logs, dedup, audit) can be fooled by a second one.
 *
 * Returns `true` for keys other than EC2 (EdDSA and RSA signatures have a single encoding), `false` for an EC2 key on
 * a curve other than P-256 (never registered: only ES256 is accepted) and for anything that fails to decode.
 */
export function hasCanonicalEcdsaSignature(
  publicKey: Uint8Array,
  authenticatorData: string,
  clientDataJSON: string,
  signature: string,
): boolean {
  try {
    const coseKey = decodeCredentialPublicKey(new Uint8Array(publicKey));
    if (!cose.isCOSEPublicKeyEC2(coseKey)) return true;
    const x = coseKey.get(cose.COSEKEYS.x);
    const y = coseKey.get(cose.COSEKEYS.y);
    if (coseKey.get(cose.COSEKEYS.crv) !== cose.COSECRV.P256 || x === undefined || y === undefined) return false;
    const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
    const jwk = { kty: 'EC', crv: 'P-256', x: b64(x), y: b64(y) };
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    // WebAuthn L3 §7.2 steps 19-21: the signed data is authenticatorData || SHA-256(clientDataJSON).
    const clientDataHash = createHash('sha256').update(Buffer.from(clientDataJSON, 'base64url')).digest();
    const signed = Buffer.concat([Buffer.from(authenticatorData, 'base64url'), clientDataHash]);
    return verify('sha256', signed, { key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
