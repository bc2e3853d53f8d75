import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { createPasswordPolicy, type PolicyResult } from './policy.js';

const codes = (result: PolicyResult): string[] => result.violations.map((v) => v.code);

describe('createPasswordPolicy (NIST SP 800-63B)', () => {
  const policy = createPasswordPolicy({ serviceName: 'Rampart' });

  it('accepts a long passphrase of lower-case words: no composition rules', () => {
    const result = policy.check('violet kettle marching under cobalt rain');
    expect(result).toMatchObject({ ok: true, violations: [] });
    expect(result.score).toBeGreaterThanOrEqual(3);
  });

  it('requires 12 characters by default, counted in code points after NFKC', () => {
    expect(codes(policy.check('Xq7#vL2!pZ9'))).toContain('too_short'); // 11
    expect(codes(policy.check('Xq7#vL2!pZ9@'))).not.toContain('too_short'); // 12
    // 12 emoji are 24 UTF-16 units and 48 bytes, but 12 characters.
    expect(codes(policy.check('🐙🦊🐢🦉🐝🦀🐬🦒🐊🦔🐌🦜'))).not.toContain('too_short');
    // "ﬃ" is one code point typed, three after NFKC.
    expect(codes(policy.check('ﬃﬃﬃﬃ'))).not.toContain('too_short');
    expect(policy.check('')).toEqual({ ok: false, violations: [{ code: 'too_short', minLength: 12 }] });
  });

  it('the minimum length is configurable within NIST’s range', () => {
    expect(codes(createPasswordPolicy({ minLength: 15 }).check('Xq7#vL2!pZ9@kd'))).toContain('too_short');
    expect(() => createPasswordPolicy({ minLength: 7 })).toThrow(ConfigurationError);
    expect(() => createPasswordPolicy({ minLength: 65 })).toThrow(ConfigurationError);
  });

  it('accepts 64 characters of any script, and refuses beyond the byte bound before any estimate', () => {
    const sixtyFour = 'ᚠᛇᚻ᛫ᛒᛦᚦ᛫ᚠᚱᚩᚠᚢᚱ᛫ᚠᛁᚱᚪ᛫ᚷᛖᚻᚹᛦᛚᚳᚢᛗ 𝔖𝔬𝔪𝔢 𝔴𝔬𝔯𝔡𝔰 Ωμέγα 龍虎鳳凰麒麟 🦊🐢🦉🐝🦀 zebra';
    expect(Array.from(sixtyFour).length).toBeGreaterThanOrEqual(64);
    expect(codes(policy.check(sixtyFour))).not.toContain('too_long');
    expect(policy.check('k'.repeat(1025))).toEqual({ ok: false, violations: [{ code: 'too_long', maxBytes: 1024 }] });
    expect(() => createPasswordPolicy({ maxBytes: 255 })).toThrow(ConfigurationError);
  });

  it('refuses passwords from the zxcvbn-ts common-password list, case-insensitively and through l33t spelling', () => {
    for (const password of ['qwerty123456', 'QWERTY123456', '1qaz2wsx3edc', 'administrator', 'p@ssw0rd']) {
      expect(codes(policy.check(password)), password).toContain('common_password');
    }
  });

  it('refuses passwords from a caller blocklist', () => {
    const strict = createPasswordPolicy({ blocklist: ['Rampart Summer Offsite 2026'] });
    expect(codes(strict.check('rampart summer offsite 2026'))).toContain('common_password');
  });

  it('refuses context words: user name, email local part and its pieces, service name, extra words', () => {
    expect(policy.check('zebra-crossing-jdoe99-quartz', { userName: 'jdoe99' }).violations).toContainEqual({ code: 'context_word', field: 'userName' });
    expect(policy.check('melanie.hartwig paints lilies', { email: 'melanie.hartwig@example.com' }).violations).toContainEqual({ code: 'context_word', field: 'email' });
    expect(policy.check('Hartwig!Quasar!Lantern', { email: 'melanie.hartwig@example.com' }).violations).toContainEqual({ code: 'context_word', field: 'email' });
    expect(policy.check('my rampart password is long', {}).violations).toContainEqual({ code: 'context_word', field: 'serviceName' });
    expect(policy.check('R4mp4rt quartz lantern 77').violations).toContainEqual({ code: 'context_word', field: 'serviceName' });
    expect(policy.check('quartz lantern blue heron', { other: ['Heron'] }).violations).toContainEqual({ code: 'context_word', field: 'other' });
    // Short context words do not forbid everything that contains them.
    expect(codes(policy.check('also quartz lantern heron', { userName: 'al' }))).not.toContain('context_word');
  });

  it('refuses what zxcvbn-ts estimates too guessable, with a configurable minimum score', () => {
    const weak = policy.check('aaaaaaaaaaaaaaaa');
    expect(weak.violations).toContainEqual({ code: 'too_weak', score: weak.score, minScore: 3 });
    expect(codes(policy.check('qwertyuiopasdfgh'))).toContain('too_weak');
    expect(codes(policy.check('P@ssw0rd12345678'))).toContain('too_weak');
    expect(codes(createPasswordPolicy({ minScore: 0 }).check('aaaaaaaaaaaaaaaa'))).not.toContain('too_weak');
    expect(() => createPasswordPolicy({ minScore: 5 as 4 })).toThrow(ConfigurationError);
  });

  it('never echoes the password, or context words, in the result', () => {
    const password = 'jdoe99 qwerty123456 secret';
    const result = policy.check(password, { userName: 'jdoe99' });
    expect(result.ok).toBe(false);
    const text = JSON.stringify(result);
    for (const part of ['jdoe', 'qwerty', 'secret', '123456']) expect(text).not.toContain(part);
  });

  it('typed refusals for input that is not a well-formed string', () => {
    expect(policy.check(12345678901234)).toEqual({ ok: false, violations: [{ code: 'not_a_string' }] });
    expect(policy.check(null)).toEqual({ ok: false, violations: [{ code: 'not_a_string' }] });
    expect(policy.check('long enough but \uD800 broken')).toEqual({ ok: false, violations: [{ code: 'invalid_characters' }] });
  });

  it('stays fast on adversarial input of the maximum size (the estimate is bounded)', () => {
    const adversarial = ['p@ssw0rd'.repeat(128), '4@3!1$0|'.repeat(128), '1q2w3e4r'.repeat(128), '|'.repeat(1024)];
    policy.check('warm up the dictionaries');
    for (const password of adversarial) {
      const started = performance.now();
      policy.check(password);
      expect(performance.now() - started, password.slice(0, 8)).toBeLessThan(1500);
    }
  });
});
