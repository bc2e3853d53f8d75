import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { checkpointSigner, keyIdOf, signTreeHead, treeHeadMessage, verifyTreeHead } from './checkpoint.js';
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
