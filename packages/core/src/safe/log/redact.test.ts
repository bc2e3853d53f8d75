import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { formatApiKey, generateApiKeyParts } from '../../token/apikey/index.js';
import { allStrings, readCorpus, readMarkedCorpus, secretWindows } from './corpus.fixtures.js';
import { isSecretKey, passesLuhn, REDACTED, redactSecrets, redactText, sanitizeForLog } from './index.js';

const secrets = readMarkedCorpus('secrets.txt');
const benign = readCorpus('benign.txt');

function expectNoLeak(output: unknown, secretParts: readonly string[]): void {
  const texts = allStrings(output);
  for (const secret of secretParts) {
    for (const window of secretWindows(secret)) {
      for (const text of texts) expect(text.includes(window), `leaked ${JSON.stringify(window)} in ${JSON.stringify(text)}`).toBe(false);
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

describe('attack: secrets corpus does not survive', () => {
  it('has a real corpus', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(50);
    expect(secrets.every((s) => s.secrets.length > 0)).toBe(true);
  });

  it.each(secrets.map((s) => [JSON.stringify(s.payload).slice(0, 70), s]))('%s', (_, { payload, secrets: parts }) => {
    expect(payload.length).toBeGreaterThan(0);
    expectNoLeak(redactText(payload), parts);
    expectNoLeak(redactSecrets({ message: payload, nested: [{ detail: payload }], error: new Error(payload) }), parts);
    expectNoLeak(sanitizeForLog({ message: payload, list: [payload] }), parts);
  });

  it('the same payloads logged without redaction do leak (so the test above can fail)', () => {
    for (const { payload, secrets: parts } of secrets) expect(parts.every((secret) => payload.includes(secret))).toBe(true);
  });

  it('freshly generated Rampart API keys are redacted (tracks the token/apikey format)', () => {
    for (let i = 0; i < 50; i += 1) {
      const key = formatApiKey(generateApiKeyParts(i % 2 === 0 ? 'rpk' : 'acme9'));
      expect(redactText(`using ${key} now`)).toBe('using [REDACTED:api-key] now');
    }
  });
});

describe('false positives', () => {
  it.each(benign.map((b) => [b]))('keeps %j', (text) => {
    expect(redactText(text)).toBe(text);
  });
});

describe('redaction by key name', () => {
  it('matches secret names case- and separator-insensitively', () => {
    for (const name of [
      'password', 'PASSWORD', 'newPassword', 'password_confirmation', 'passwd', 'secret', 'client_secret', 'clientSecret',
      'token', 'access_token', 'refresh-token', 'X-CSRF-Token', 'authorization', 'Proxy-Authorization', 'cookie',
      'Set-Cookie', 'api_key', 'apiKey', 'X-Api-Key', 'API.KEY', 'apikey', 'private_key', 'privateKey', 'credentials',
      'aws_secret_access_key', 'sessionId', 'x-amz-signature', 'pin', 'PIN', 'cvv', 'otp', 'jwt', 'ssn', 'card_number',
    ]) {
      expect(isSecretKey(name), name).toBe(true);
    }
    for (const name of ['username', 'email', 'author', 'spinner', 'pinned', 'tokenizer_model', 'id', 'keyId', 'session_count', '', '_-.']) {
      expect(isSecretKey(name), name).toBe(name === 'tokenizer_model');
    }
    expect(isSecretKey('ssn_last4', ['ssnlast'])).toBe(true);
    expect(isSecretKey('ssn_last4')).toBe(false);
  });

  it('redacts whole values under secret names, whatever their type, deep in objects and arrays', () => {
    const input = {
      user: 'alice',
      password: 'hunter2',
      headers: { Authorization: 'Bearer abc', 'X-Api-Key': 'k', accept: 'json' },
      credentials: { user: 'svc', pass: 'p' },
      history: [{ token: 12345 }, { refresh_token: null }, 'plain'],
    };
    expect(redactSecrets(input)).toEqual({
      user: 'alice',
      password: REDACTED,
      headers: { Authorization: REDACTED, 'X-Api-Key': REDACTED, accept: 'json' },
      credentials: REDACTED,
      history: [{ token: REDACTED }, { refresh_token: REDACTED }, 'plain'],
    });
    expect(redactSecrets({ customerRef: 'x' }, { secretKeys: ['customer_ref'] })).toEqual({ customerRef: REDACTED });
  });

  it('redacts card numbers held as numbers and bigints', () => {
    expect(redactSecrets({ n: 4111111111111111, b: 4111111111111111n, small: 42, id: 1735689600000 })).toEqual({
      n: '[REDACTED:card]',
      b: '[REDACTED:card]',
      small: 42,
      id: 1735689600000,
    });
  });
});

describe('deep copy: safety of the walk', () => {
  it('never mutates its input (a deep-frozen input would throw on any write)', () => {
    const input = deepFreeze({ a: { password: 'x', list: [1, 'Bearer abc', { secret: 's' }] }, b: 'card 4111111111111111' });
    const snapshot = structuredClone(input);
    const out = sanitizeForLog(input);
    expect(input).toEqual(snapshot);
    expect(out).not.toBe(input);
    expect(out).toEqual({ a: { password: REDACTED, list: [1, 'Bearer [REDACTED:bearer]', { secret: REDACTED }] }, b: 'card [REDACTED:card]' });
  });

  it('attack: cycles become [Circular] instead of recursing forever; shared references are copied', () => {
    const node: Record<string, unknown> = { name: 'root' };
    node.self = node;
    node.children = [node, { parent: node }];
    const shared = { v: 1 };
    expect(redactSecrets(node)).toEqual({ name: 'root', self: '[Circular]', children: ['[Circular]', { parent: '[Circular]' }] });
    expect(redactSecrets({ a: shared, b: shared })).toEqual({ a: { v: 1 }, b: { v: 1 } });
  });

  it('attack: deep nesting and huge fan-out are bounded', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i += 1) deep = { next: deep };
    let out = redactSecrets(deep) as Record<string, unknown>;
    for (let i = 0; i < 8; i += 1) out = out.next as Record<string, unknown>;
    expect(out).toBe('[Truncated]');
    expect(JSON.stringify(redactSecrets(deep, { maxDepth: 2 }))).toBe('{"next":{"next":"[Truncated]"}}');

    const wide = Array.from({ length: 50_000 }, (_, i) => i);
    const copied = redactSecrets(wide, { maxNodes: 100 }) as unknown[];
    expect(copied).toHaveLength(50_000);
    expect(copied[98]).toBe(98);
    expect(copied[99]).toBe('[Truncated]');
    expect(() => redactSecrets({}, { maxDepth: 0 })).toThrow(ConfigurationError);
    expect(() => redactSecrets({}, { maxNodes: 1.5 })).toThrow(ConfigurationError);
  });

  it('attack: __proto__ keys are copied as data, never as the prototype of the copy', () => {
    const input = JSON.parse('{"__proto__":{"isAdmin":true},"a":1}') as object;
    const out = redactSecrets(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { isAdmin?: boolean }).isAdmin).toBeUndefined();
    expect(Object.keys(out)).toEqual(['__proto__', 'a']);
    expect(({} as { isAdmin?: boolean }).isAdmin).toBeUndefined();
  });

  it('attack: throwing getters, hostile proxies and toJSON never stop the entry from being written', () => {
    const getter = Object.defineProperty({ ok: 1 }, 'boom', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
    const toJson = { toJSON: () => ({ password: 'x', url: 'https://u:pw@h/' }) };
    expect(redactSecrets({ getter, proxy, toJson })).toEqual({
      getter: { ok: 1, boom: '[Unreadable]' },
      proxy: '[Unreadable]',
      toJson: { password: REDACTED, url: 'https://u:[REDACTED:url-password]@h/' },
    });
  });

  it('summarises non-plain values: Error, Date, URL, Map, Set, binary, functions, symbols', () => {
    const error = Object.assign(new Error('login failed for password=hunter2'), { code: 'E_AUTH', token: 't' });
    const out = redactSecrets({
      error,
      date: new Date(0),
      bad: new Date(Number.NaN),
      url: new URL('https://user:pw@example.com/?api_key=abc'),
      map: new Map<unknown, unknown>([['secret', 's'], ['k', 'v'], [{}, 1]]),
      set: new Set(['Bearer abc']),
      bytes: Buffer.from('secret bytes'),
      fn: () => 1,
      sym: Symbol('s'),
    }) as Record<string, Record<string, unknown>>;
    expect(out.error).toMatchObject({ name: 'Error', message: 'login failed for password=[REDACTED]', code: 'E_AUTH', token: REDACTED });
    expect(String(out.error?.stack)).not.toContain('hunter2');
    expect(out).toMatchObject({
      date: '1970-01-01T00:00:00.000Z',
      bad: 'Invalid Date',
      url: 'https://user:[REDACTED:url-password]@example.com/?api_key=[REDACTED]',
      map: { secret: REDACTED, k: 'v', '[object]': 1 },
      set: ['Bearer [REDACTED:bearer]'],
      bytes: '[Binary 12 bytes]',
      fn: '[Function]',
      sym: 'Symbol(s)',
    });
  });
});

describe('sanitizeForLog', () => {
  it('redacts and escapes values and keys in one pass', () => {
    const out = sanitizeForLog({ 'user\nINFO forged': 'admin\u001b[2J', note: 'password=hunter2\r\nINFO ok' });
    expect(out).toEqual({ 'user\\nINFO forged': 'admin\\x1b[2J', note: 'password=[REDACTED]\\r\\nINFO ok' });
  });

  it('redacts before truncating, so a secret cut at the limit cannot leak its head', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJl';
    expect(sanitizeForLog(`x ${jwt}`, { maxStringLength: 20 })).toBe('x [REDACTED:jwt]');
  });
});

describe('redactText', () => {
  it('keeps one marker per secret when a header value was already redacted by shape', () => {
    expect(redactText('Authorization: Basic dXNlcjpwYXNzd29yZA==\nnext')).toBe('Authorization: [REDACTED] [REDACTED:bearer]\nnext');
    expect(redactText('password: hunter2   ; user: bob')).toBe('password: [REDACTED]   ; user: bob');
    expect(redactText('token=abc&x=1 secret = two words')).toBe('token=[REDACTED]&x=1 secret = [REDACTED]');
  });

  it('recognises card numbers by Luhn only, with spaces or dashes, and not inside longer digit runs', () => {
    expect(passesLuhn('4111111111111111')).toBe(true);
    expect(passesLuhn('4111111111111112')).toBe(false);
    expect(redactText('4111111111111112')).toBe('4111111111111112');
    expect(redactText('4111-1111-1111-1111')).toBe('[REDACTED:card]');
    expect(redactText('14111111111111111111111')).toBe('14111111111111111111111');
    expect(redactText('cards 4111111111111111 and 5500 0000 0000 0004.')).toBe('cards [REDACTED:card] and [REDACTED:card].');
  });

  it('leaves identifiers alone whose digit groups happen to pass Luhn: a UUID is not a card number', () => {
    // Digits 4027 8000 11891 are Luhn-valid: glued to the UUID's hex letters, they used to be cut out of user ids in logs.
    const userId = '9c8af2bd-d7a1-4027-8000-11891dd24469';
    expect(redactText(`"userId":"${userId}"`)).toBe(`"userId":"${userId}"`);
    expect(redactText(`reqId=${userId} route=/v1/login`)).toBe(`reqId=${userId} route=/v1/login`);
    // Still a card when punctuation or spaces delimit it.
    expect(passesLuhn('4027800011891')).toBe(true);
    expect(redactText('paid with 4027-8000-11891, thanks')).toBe('paid with [REDACTED:card], thanks');
    expect(redactText('(4111 1111 1111 1111)')).toBe('([REDACTED:card])');
  });

  it('never throws and is idempotent on arbitrary text (property)', () => {
    const pieces = fc.constantFrom('password=', 'token: ', '"secret":"', 'Bearer ', 'eyJhbGciOiJIUzI1NiJ9.', 'eyJ', '4111 ', '1111', '-----BEGIN PRIVATE KEY-----', '://u:', '@', ' ', '\n', '"', "'", ';', '&');
    fc.assert(
      fc.property(fc.array(fc.oneof(pieces, fc.string({ maxLength: 6 })), { maxLength: 30 }).map((p) => p.join('')), (text) => {
        const once = redactText(text);
        expect(redactText(once)).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  it('an unterminated quoted secret is redacted to the end of its line, not left whole', () => {
    expect(redactText('password: "hunter2 and more\nnext: line')).toBe('password: "[REDACTED]\nnext: line');
  });

  it('attack: pathological inputs complete (linear patterns, no catastrophic backtracking)', () => {
    const inputs = [
      'a='.repeat(50_000),
      'password: '.repeat(20_000),
      '-----BEGIN PRIVATE KEY-----'.repeat(5_000),
      `eyJ${'a'.repeat(100_000)}`,
      '1 '.repeat(100_000),
      `https://${'a:'.repeat(50_000)}`,
      `"password":"${'\\"'.repeat(50_000)}`,
      'Bearer '.repeat(30_000),
      // Each of these took 7–22 s at 200 KB when every non-secret name rescanned the rest of the run for its value.
      'x:'.repeat(100_000),
      'ab://'.repeat(40_000),
      'a@b:'.repeat(50_000),
      'aB3+'.repeat(50_000),
    ];
    for (const input of inputs) expect(typeof redactText(input)).toBe('string');
  });
});
