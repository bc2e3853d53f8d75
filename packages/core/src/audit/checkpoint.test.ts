import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { KeyRing } from '../crypto/keyring.js';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { checkpointPublicKeys, checkpointSigner, checkpointSignerFromKeyRing, keyIdOf, signTreeHead, treeHeadMessage, verifyTreeHead } from './checkpoint.js';
import { leafHash } from './hash.js';

const keys = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const signer = checkpointSigner(keys.privateKey);
const head = signTreeHead(signer, 5, leafHash('root'), leafHash('chain'), '2026-01-01T00:00:00.000Z');

describe('signed tree heads', () => {
  it('verify with the signing public key', () => {
    expect(head.keyId).toBe(keyIdOf(keys.publicKey));
    expect(verifyTreeHead(head, keys.publicKey)).toBe(true);
    expect(verifyTreeHead(head, [other.publicKey, keys.publicKey])).toBe(true);
  });
  it('sign a domain-separated canonical message', () => {
    expect(treeHeadMessage(head).toString()).toBe(`rampart.audit.sth/v2\n{"at":"2026-01-01T00:00:00.000Z","chainHash":"${head.chainHash}","keyId":"${head.keyId}","rootHash":"${head.rootHash}","treeSize":5}`);
  });
  it('fail with another key, even one claiming the right key id', () => {
    expect(verifyTreeHead(head, other.publicKey)).toBe(false);
    const forged = signTreeHead({ privateKey: other.privateKey, keyId: head.keyId }, 5, leafHash('root'), leafHash('chain'), head.at);
    expect(verifyTreeHead(forged, keys.publicKey)).toBe(false);
  });
  it.each([
    ['treeSize', { treeSize: 6 }],
    ['rootHash', { rootHash: head.rootHash.replace(/^./, (c) => (c === '0' ? '1' : '0')) }],
    ['chainHash', { chainHash: head.chainHash.replace(/^./, (c) => (c === '0' ? '1' : '0')) }],
    ['a missing chainHash', { chainHash: undefined as unknown as string }],
    ['at', { at: '2026-01-01T00:00:01.000Z' }],
    ['keyId', { keyId: keyIdOf(other.publicKey) }],
    // A character in the middle: every one of its six bits is signature data (the last character's low bits are not).
    ['signature', { signature: `${head.signature.slice(0, 10)}${head.signature.charAt(10) === 'A' ? 'B' : 'A'}${head.signature.slice(11)}` }],
    ['a malformed rootHash', { rootHash: head.rootHash.toUpperCase() }],
    ['a negative size', { treeSize: -1 }],
  ])('fail when %s is altered', (_field, change) => {
    expect(verifyTreeHead({ ...head, ...change }, keys.publicKey)).toBe(false);
  });
  it('refuse keys that are not Ed25519', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => checkpointSigner(ec.privateKey)).toThrow(ConfigurationError);
    expect(() => checkpointSigner(keys.publicKey)).toThrow(ConfigurationError);
    expect(() => verifyTreeHead(head, ec.publicKey)).toThrow(ConfigurationError);
  });
});

describe('checkpoint keys from the key ring', () => {
  it('derive a stable Ed25519 signer per ring key, checkable with the ring public keys', () => {
    const ring = KeyRing.generate();
    const signerA = checkpointSignerFromKeyRing(ring);
    expect(signerA.privateKey.asymmetricKeyType).toBe('ed25519');
    // The same ring secret, loaded again (another process): the same key.
    const again = KeyRing.fromDocument(ring.exportDocument());
    expect(checkpointSignerFromKeyRing(again).keyId).toBe(signerA.keyId);
    const signed = signTreeHead(signerA, 3, leafHash('r'), leafHash('c'), '2026-01-01T00:00:00.000Z');
    expect(verifyTreeHead(signed, checkpointPublicKeys(again))).toBe(true);
    // Not the ring secret itself, nor another purpose's subkey, used raw.
    expect(signerA.keyId).not.toBe(checkpointSigner(createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), ring.subkey('csrf').export()]), format: 'der', type: 'pkcs8' })).keyId);
  });

  it('follow rotation: new heads use the new key, old heads still verify until the old key is retired', () => {
    const ring = KeyRing.generate();
    const oldKid = ring.active.kid;
    const oldHead = signTreeHead(checkpointSignerFromKeyRing(ring), 1, leafHash('r'), leafHash('c'), '2026-01-01T00:00:00.000Z');
    ring.rotate();
    const newSigner = checkpointSignerFromKeyRing(ring);
    expect(newSigner.keyId).not.toBe(oldHead.keyId);
    const newHead = signTreeHead(newSigner, 2, leafHash('r2'), leafHash('c2'), '2026-01-02T00:00:00.000Z');
    const keysNow = checkpointPublicKeys(ring);
    expect(keysNow).toHaveLength(2);
    expect(verifyTreeHead(oldHead, keysNow) && verifyTreeHead(newHead, keysNow)).toBe(true);
    // Keep the exported public key of a kid before retiring it: a verifier needs no secret.
    const kept = keysNow.find((key) => keyIdOf(key) === oldHead.keyId)!;
    ring.retire(oldKid);
    expect(verifyTreeHead(oldHead, checkpointPublicKeys(ring))).toBe(false);
    expect(verifyTreeHead(oldHead, [...checkpointPublicKeys(ring), kept])).toBe(true);
  });
});
