import { describe, expect, it } from 'vitest';
import { isWellFormedSessionId, newSessionHandle, newSessionId, sessionKey } from './id.js';

describe('session ids', () => {
  it('are 256-bit base64url tokens, unique', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newSessionId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(32);
    }
  });

  it('format check refuses anything that is not 43 base64url characters', () => {
    expect(isWellFormedSessionId(newSessionId())).toBe(true);
    for (const bad of [undefined, null, 42, {}, [], '', 'a'.repeat(42), 'a'.repeat(44), `${'a'.repeat(42)}=`, `${'a'.repeat(42)}é`, `${'a'.repeat(42)}+`]) {
      expect(isWellFormedSessionId(bad)).toBe(false);
    }
  });

  it('store keys are SHA-256 of the id, and a key presented as an id does not map back to it', () => {
    const id = newSessionId();
    const key = sessionKey(id);
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).not.toBe(id);
    expect(sessionKey(key)).not.toBe(key);
  });

  it('public handles differ from ids and from keys', () => {
    const handle = newSessionHandle();
    expect(handle).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(isWellFormedSessionId(handle)).toBe(false);
  });
});
