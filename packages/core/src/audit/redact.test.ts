import Database from 'better-sqlite3';
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { securityEvent, type SecurityEvent } from '../events.js';
import type { AuditEventJson } from './canonical.js';
import { checkpointSigner } from './checkpoint.js';
import { AuditLog } from './log.js';
import { isAuditSecretKey, MAX_AUDIT_VALUE_LENGTH, redactAuditEvent } from './redact.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { verify } from './verify.js';

// The attacker here controls event values (a user name, a header, a reason) and wants either a secret committed to
// the chain forever or a second, forged line in a text export. Every check reads the stored text with plain SQL.

const root = mkdtempSync(join(tmpdir(), 'rampart-audit-redact-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
let files = 0;

const keys = generateKeyPairSync('ed25519');
const signer = checkpointSigner(keys.privateKey);

const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImFkbWluIjp0cnVlfQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtMTIz';
const STRIPE_KEY = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
const GITHUB_TOKEN = 'ghp_R2d2C3poL7k9Xw4Qz8Vb1Nm6Ty5Ua3Sj0Hf';
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const PASSWORD = 'correct horse battery staple';
const CARD = '4111 1111 1111 1111';
const CARD_DASHED = '5500-0000-0000-0004';
const AMEX = '378282246310005';
const BEARER_TOKEN = '9f8e7d6c5b4a3928';
const BASIC = 'YWxpY2U6czNjcjN0'; // alice:s3cr3t
const RANDOM_B64 = 'Xk9vQ2pL7mN4rT8wZ1bC5dF3gH6jK0sA';
const RANDOM_HEX = '9c1185a5c5e9fc54612808977ee8f548b2258d31';

interface StoredRow {
  seq: number;
  canonical: string;
}

/** A log on a real SQLite file, and a way to read what it stored with SQL. */
async function openLog(): Promise<{ log: AuditLog; rows: () => StoredRow[]; path: string }> {
  const path = join(root, `redact${++files}.db`);
  const log = await AuditLog.open({ store: new SqliteAuditStore(path), signer, clock: new ManualClock() });
  const rows = (): StoredRow[] => {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare('SELECT seq, canonical FROM audit_entries ORDER BY seq').all() as StoredRow[];
    } finally {
      db.close();
    }
  };
  return { log, rows, path };
}

/** Raw line breaks of any kind, other C0/C1 controls, and bidi/invisible characters. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must not be stored
const RAW_UNSAFE = /[\0-\x1F\x7F-\x9F\u061C\u200B\u200E\u200F\u2028-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/;

describe('redaction before hashing (real SQLite, read back with SQL)', () => {
  it('stores none of a JWT, API keys, a password attribute or a Luhn-valid card number', async () => {
    const { log, rows, path } = await openLog();
    const ack = await log.append(
      securityEvent('auth.login.failed', 'alice', {
        note: `token was ${JWT}`,
        stripe: STRIPE_KEY,
        github: `push with ${GITHUB_TOKEN} failed`,
        aws: AWS_KEY,
        password: PASSWORD,
        card: `paid with ${CARD} today`,
        header: `Authorization: Bearer ${BEARER_TOKEN}`,
        clientIp: '203.0.113.7',
      }),
    );
    expect(ack.redacted).toBe(7);
    await log.close();

    const stored = rows();
    expect(stored).toHaveLength(1);
    const text = stored[0]?.canonical ?? '';
    for (const secret of [JWT, STRIPE_KEY, GITHUB_TOKEN, AWS_KEY, PASSWORD, CARD, '4111111111111111', BEARER_TOKEN]) {
      expect(text).not.toContain(secret);
    }
    const event = (JSON.parse(text) as { event: AuditEventJson }).event;
    expect(event.attributes).toEqual({
      note: 'token was [REDACTED:jwt]',
      stripe: '[REDACTED:token]',
      github: 'push with [REDACTED:token] failed',
      aws: '[REDACTED:aws-access-key]',
      password: '[REDACTED]',
      card: 'paid with [REDACTED:card] today',
      header: 'Authorization: [REDACTED] [REDACTED:bearer]',
      clientIp: '203.0.113.7',
    });
    // The redacted entry is what the chain and the signed head commit to.
    expect(await verify(new SqliteAuditStore(path), { publicKey: keys.publicKey })).toEqual({ ok: true, entries: 1, checkpoints: 1 });
  });

  it('redacts a card number given as a number and values under secret names whatever they look like', async () => {
    const { log, rows } = await openLog();
    const ack = await log.append(
      securityEvent('mfa.totp.replay', 'alice', { pan: 4111111111111111, code: 123456, otp: '654321', apiKey: 'x', sessionId: 'abc' }),
    );
    expect(ack.redacted).toBe(5);
    await log.close();
    const text = rows()[0]?.canonical ?? '';
    expect(text).not.toContain('4111111111111111');
    expect(text).not.toContain('123456');
    expect(text).not.toContain('654321');
    expect(JSON.parse(text)).toMatchObject({
      event: { attributes: { pan: '[REDACTED]', code: '[REDACTED]', otp: '[REDACTED]', apiKey: '[REDACTED]', sessionId: '[REDACTED]' } },
    });
  });

  it('keeps a user name with CR/LF as one entry whose stored text holds no raw line break', async () => {
    const { log, rows } = await openLog();
    const forged = '{"seq":1,"at":"2026-01-01T00:00:00.000Z","event":{"type":"auth.login.succeeded","subject":"root"}}';
    const subject = `bob\r\n${forged}\n\u2028\u2029\u0085\u001b[2J\u202eevil`;
    await log.append(securityEvent('auth.login.failed', subject, { reason: `bad\npassword\r\n${forged}` }));
    await log.close();

    const stored = rows();
    expect(stored).toHaveLength(1);
    const text = stored[0]?.canonical ?? '';
    expect(text).not.toMatch(RAW_UNSAFE);
    expect(text).not.toMatch(/[\r\n]/);
    const event = (JSON.parse(text) as { event: AuditEventJson }).event;
    expect(event.subject).toBe(`bob\\r\\n${forged}\\n\\u2028\\u2029\\x85\\x1b[2J\\u202eevil`);
    expect(event.subject).not.toMatch(RAW_UNSAFE);
    expect(event.attributes?.reason).toBe(`bad\\npassword\\r\\n${forged}`);
    // Every line of a JSON-lines export of the entry stays one line.
    expect(JSON.stringify(event).split('\n')).toHaveLength(1);
  });

  it('keeps a literal backslash-n apart from an escaped newline', async () => {
    const { log, rows } = await openLog();
    await log.append(securityEvent('auth.login.failed', 'a\\nb'));
    await log.append(securityEvent('auth.login.failed', 'a\nb'));
    await log.close();
    const subjects = rows().map((row) => (JSON.parse(row.canonical) as { event: AuditEventJson }).event.subject);
    expect(subjects).toEqual(['a\\\\nb', 'a\\nb']);
  });

  it('escapes control characters in attribute names and the type as well', async () => {
    const { log, rows } = await openLog();
    const event = { type: 'authz.denied', at: new Date(0), attributes: { 'x\nforged': 1 } } as unknown as SecurityEvent;
    await log.append(event);
    await log.close();
    const text = rows()[0]?.canonical ?? '';
    expect(text).not.toMatch(RAW_UNSAFE);
    expect(JSON.parse(text)).toMatchObject({ event: { attributes: { 'x\\nforged': 1 } } });
  });

  it('never stores embedded secrets or raw control characters, for random surrounding text (property)', async () => {
    const { log, rows } = await openLog();
    const secrets = [JWT, STRIPE_KEY, GITHUB_TOKEN, AWS_KEY, CARD, CARD_DASHED, AMEX, `Bearer ${BEARER_TOKEN}`, `Basic ${BASIC}`, RANDOM_B64, RANDOM_HEX];
    const hidden = (secret: string): string => secret.replace(/^(?:Bearer|Basic) /, '');
    const noise = fc.string({
      unit: fc.constantFrom('a', 'Z', '7', ' ', '.', ':', '=', '\\', '"', '\r', '\n', '\t', '\0', '\u001b', '\u007f', '\u0085', '\u009b', '\u2028', '\u2029', '\u202e', '\u2066', '\u200b', 'é', '😀'),
      maxLength: 24,
    });
    const piece = fc.tuple(noise, fc.constantFrom(...secrets), noise).map(([before, secret, after]) => ({ text: `${before} ${secret} ${after}`, secret }));
    let appended = 0;
    await fc.assert(
      fc.asyncProperty(piece, piece, fc.constantFrom('reason', 'detail', 'userAgent'), async (subject, attribute, key) => {
        await log.append(securityEvent('auth.login.failed', subject.text, { [key]: attribute.text }));
        appended++;
        const text = rows().at(-1)?.canonical ?? '';
        expect(text).not.toMatch(RAW_UNSAFE);
        expect(text).not.toContain(hidden(subject.secret));
        expect(text).not.toContain(hidden(attribute.secret));
        expect(text).not.toContain(subject.secret.replace(/[ -]/g, ''));
      }),
      { numRuns: 150 },
    );
    await log.close();
    expect(rows()).toHaveLength(appended);
  });

  it('leaves ordinary values alone: UUIDs, emails, IPs, ISO dates, numbers, digests and key ids', async () => {
    const { log, rows } = await openLog();
    const attributes = {
      requestId: '3f2b8c1e-9d4a-4b6e-8f0a-1c2d3e4f5a6b',
      trace: '4bf92f3577b34da6a3ce929d0e0e4736',
      email: 'alice.smith+audit@example.com',
      clientIp: '203.0.113.7',
      ipv6: '2001:db8::8a2e:370:7334',
      when: '2026-11-28T11:00:00.000Z',
      attempt: 3,
      seq: 1234567,
      atMs: 1764327600000,
      orderNumber: '4111',
      phone: '+1 555 0100',
      path: '/api/v1/organisations/acme/users/42',
      version: 'sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
      digest: '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
      kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
      keyId: 'k_01HZX3J4QW8E5R6T7Y8U9I0OPA',
      credentialId: 'pQ8vB3xYk2LmN7rT4wZ9cD1fG6hJ0sA5eU_-iO3qW8E',
      tokenId: 'h7Kq2LmN9pR4sT6vX8zB1c',
      handle: 'Zp4Qw8Er2Ty6Ui0Op3As5D',
      statusCode: 403,
      errorCode: 'E_DENIED',
      reason: 'bad_password',
      plan: 'Basic plan',
      action: 'delete',
      ok: true,
    };
    const ack = await log.append(securityEvent('authz.denied', 'alice.smith@example.com', attributes));
    expect(ack.redacted).toBe(0);
    await log.close();
    const event = (JSON.parse(rows()[0]?.canonical ?? '') as { event: AuditEventJson }).event;
    expect(event.subject).toBe('alice.smith@example.com');
    expect(event.attributes).toEqual(attributes);
  });
});

describe('redactAuditEvent', () => {
  const base: AuditEventJson = { type: 'auth.login.failed', at: '2026-01-01T00:00:00.000Z' };

  it('treats secret names case- and separator-insensitively, and one-time codes as secret', () => {
    for (const name of ['password', 'PASSWORD', 'newPassword', 'passwd', 'client_secret', 'accessToken', 'api_key', 'apiKey', 'X-Api-Key', 'Authorization', 'set-cookie', 'session', 'sessionId', 'otp', 'code', 'backupCode', 'recovery_code', 'pin', 'privateKey', 'private-key']) {
      expect(isAuditSecretKey(name), name).toBe(true);
    }
    for (const name of ['statusCode', 'errorCode', 'reasonCode', 'countryCode', 'pinned', 'spinner', 'user', 'clientIp', 'kid', 'keyId', 'credentialId', 'tokenId', 'apiKeyId']) {
      expect(isAuditSecretKey(name), name).toBe(false);
    }
  });

  it('does not mutate its input and counts only redactions, not escapes', () => {
    const attributes = { token: 'abc', note: 'line1\nline2' };
    const input: AuditEventJson = { ...base, subject: 'bob\n', attributes };
    const { event, redacted } = redactAuditEvent(input);
    expect(redacted).toBe(1);
    expect(event).toEqual({ ...base, subject: 'bob\\n', attributes: { token: '[REDACTED]', note: 'line1\\nline2' } });
    expect(input.attributes).toBe(attributes);
    expect(attributes).toEqual({ token: 'abc', note: 'line1\nline2' });
  });

  it('redacts long random base64 and hex runs but not labelled digests or values under id names', () => {
    const { event } = redactAuditEvent({
      ...base,
      attributes: {
        note: `blob ${RANDOM_B64} and ${RANDOM_HEX}`,
        labelled: `sha256:${RANDOM_HEX}`,
        sessionKid: RANDOM_B64,
        words: 'organisation_settings_updated_by_admin_user_2',
        camel: 'ThisIsAVeryLongIdentifierNameForSomething',
        sessionLike: 'cookie was Vq3mZ8kX1pL0tB7wN2rY9dF4gH6jS5aQ-cE_uI8oP1z',
      },
    });
    expect(event.attributes).toEqual({
      note: 'blob [REDACTED:token] and [REDACTED:hex]',
      labelled: `sha256:${RANDOM_HEX}`,
      sessionKid: RANDOM_B64,
      words: 'organisation_settings_updated_by_admin_user_2',
      camel: 'ThisIsAVeryLongIdentifierNameForSomething',
      sessionLike: 'cookie was [REDACTED:token]',
    });
  });

  it('cuts an oversized value before redaction without leaving a prefix of a secret or card number at the cut', () => {
    const pad = (n: number): string => 'word '.repeat(Math.ceil(n / 5)).slice(0, n);
    const card = pad(MAX_AUDIT_VALUE_LENGTH - 9) + CARD + ' tail';
    const token = pad(MAX_AUDIT_VALUE_LENGTH - 10) + GITHUB_TOKEN + ' tail';
    const { event } = redactAuditEvent({ ...base, subject: card, attributes: { token, short: 'x'.repeat(MAX_AUDIT_VALUE_LENGTH) } });
    expect(event.subject).not.toMatch(/4111|1111/);
    expect(event.subject).toMatch(/^word .*…\[truncated \d+ chars\]$/);
    expect(event.attributes?.token).not.toContain('ghp_');
    expect(event.attributes?.token).not.toContain(GITHUB_TOKEN.slice(0, 8));
    expect(String(event.attributes?.token).length).toBeLessThanOrEqual(MAX_AUDIT_VALUE_LENGTH + 32);
    expect(event.attributes?.short).toBe('x'.repeat(MAX_AUDIT_VALUE_LENGTH));
  });

  it('bounds the work on a crafted oversized value (quadratic inputs for the shape rules)', () => {
    const crafted = `${'aB3+'.repeat(50_000)}-_`;
    const { event } = redactAuditEvent({ ...base, subject: crafted, attributes: { note: `x ${crafted}` } });
    expect(event.subject).toBe(`…[truncated ${crafted.length} chars]`);
    expect(event.attributes?.note).toBe(`x…[truncated ${crafted.length + 1} chars]`);
  });

  it('keeps a __proto__ attribute an own property instead of changing the prototype', () => {
    const attributes = JSON.parse('{"__proto__":"x\\ny"}') as Record<string, string>;
    const { event } = redactAuditEvent({ ...base, attributes });
    expect(Object.getPrototypeOf(event.attributes)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(event.attributes, '__proto__')?.value).toBe('x\\ny');
  });
});

describe('redaction of repeated values', () => {
  const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJyb290In0.MEUCIQDf3x9s1g';
  const event = (note: string): AuditEventJson => ({ type: 'auth.login.failed', at: '2026-01-01T00:00:00.000Z', attributes: { note } });

  it('redacts a secret every time it recurs, and counts it every time', () => {
    for (let i = 0; i < 3; i++) {
      const { event: clean, redacted } = redactAuditEvent(event(jwt));
      expect(clean.attributes?.note).toBe('[REDACTED:jwt]');
      expect(redacted).toBe(1);
    }
  });

  it('gives the same answer after a flood of distinct values has cycled whatever it remembers', () => {
    const before = redactAuditEvent(event(`Bearer ${jwt}`));
    for (let i = 0; i < 10_000; i++) redactAuditEvent(event(`value-${i}`));
    expect(redactAuditEvent(event(`Bearer ${jwt}`))).toEqual(before);
    expect(before.event.attributes?.note).not.toContain(jwt);
    // Long values are never remembered, and still redacted.
    const long = `${'x '.repeat(100)}${jwt}`;
    expect(redactAuditEvent(event(long)).event.attributes?.note).not.toContain(jwt);
  });
});
