import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ServerConfigError } from './errors.js';

const root = mkdtempSync(join(tmpdir(), 'rampart-config-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
function dir(yaml?: string): string {
  const path = mkdtempSync(join(root, 'c'));
  if (yaml !== undefined) writeFileSync(join(path, 'rampart.config.yaml'), yaml);
  return path;
}

const KEK = 'a'.repeat(64);
function refusal(fn: () => unknown): ServerConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ServerConfigError) return error;
    throw error;
  }
  throw new Error('expected a ServerConfigError');
}

describe('loadConfig', () => {
  it('defaults to development on 127.0.0.1:8080 with data in ./.rampart', () => {
    const cwd = dir();
    const config = loadConfig({ env: {}, cwd });
    expect(config).toMatchObject({ env: 'development', listen: { host: '127.0.0.1', port: 8080 }, dataDir: join(cwd, '.rampart'), keyEncryptionKey: undefined });
  });

  it('reads rampart.config.yaml, and RAMPART_* variables override it', () => {
    const cwd = dir('listen:\n  port: 9000\ndataDir: /srv/rampart\n');
    expect(loadConfig({ env: {}, cwd })).toMatchObject({ listen: { host: '127.0.0.1', port: 9000 }, dataDir: '/srv/rampart' });
    const config = loadConfig({ env: { RAMPART_PORT: '9100', RAMPART_HOST: '0.0.0.0' }, cwd });
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(config.sources).toMatchObject({ 'listen.port': 'env', dataDir: 'file' });
  });

  it('refuses a misspelt key, a wrong type and an out-of-range port, naming each', () => {
    const error = refusal(() => loadConfig({ env: {}, cwd: dir('listen:\n  prot: 9000\n  port: 70000\nenv: staging\n') }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('/listen: additionalProperties (prot)');
    expect(error.message).toContain('/listen/port: maximum');
    expect(error.message).toContain('/env');
  });

  it('refuses unknown RAMPART_* variables (a typo must not fall back to a default)', () => {
    const error = refusal(() => loadConfig({ env: { RAMPART_PROT: '9000' }, cwd: dir() }));
    expect(error.code).toBe('CONFIG_UNKNOWN_ENV');
    expect(error.message).toContain('RAMPART_PROT');
    expect(refusal(() => loadConfig({ env: { RAMPART_PORT: '80; rm -rf /' }, cwd: dir() })).code).toBe('CONFIG_INVALID');
  });

  it('refuses a key in the file: secrets come from the environment only', () => {
    expect(refusal(() => loadConfig({ env: {}, cwd: dir(`keyEncryptionKey: ${KEK}\n`) })).code).toBe('CONFIG_SECRET_IN_FILE');
  });

  it('refuses YAML that is not a mapping, has duplicate keys, or expands aliases without bound', () => {
    expect(refusal(() => loadConfig({ env: {}, cwd: dir('- a\n- b\n') })).code).toBe('CONFIG_FILE_INVALID');
    expect(refusal(() => loadConfig({ env: {}, cwd: dir('env: development\nenv: production\n') })).code).toBe('CONFIG_FILE_INVALID');
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');
    expect(refusal(() => loadConfig({ env: {}, cwd: dir(`${bomb}\n`) })).code).toBe('CONFIG_FILE_INVALID');
    expect(refusal(() => loadConfig({ env: {}, cwd: dir('env: !!js/function "function () {}"\n') })).code).toBe('CONFIG_FILE_INVALID');
  });

  it('production refuses to start without a key-encryption key, or with cleartext links to remote services', () => {
    const cwd = dir();
    const error = refusal(() => loadConfig({ env: { RAMPART_ENV: 'production' }, cwd }));
    expect(error.code).toBe('CONFIG_UNSAFE_FOR_PRODUCTION');
    expect(error.message).toContain('RAMPART_KEK');
    expect(loadConfig({ env: { RAMPART_ENV: 'production', RAMPART_KEK: KEK, RAMPART_PUBLIC_URL: 'https://auth.example.com' }, cwd }).keyEncryptionKey?.length).toBe(32);
    // Links in mail carry single-use tokens: production needs the https address users reach.
    expect(refusal(() => loadConfig({ env: { RAMPART_ENV: 'production', RAMPART_KEK: KEK }, cwd })).message).toContain('RAMPART_PUBLIC_URL');
    expect(refusal(() => loadConfig({ env: { RAMPART_ENV: 'production', RAMPART_KEK: KEK, RAMPART_PUBLIC_URL: 'http://auth.example.com' }, cwd })).message).toContain('https://');
    expect(refusal(() => loadConfig({ env: { RAMPART_PUBLIC_URL: 'javascript:alert(1)' }, cwd })).code).toBe('CONFIG_INVALID');
    expect(refusal(() => loadConfig({ env: { RAMPART_ENV: 'production', RAMPART_KEK: KEK, RAMPART_PUBLIC_URL: 'https://auth.example.com', RAMPART_REDIS_URL: 'redis://cache.internal:6379' }, cwd })).message).toContain('rediss://');
    expect(refusal(() => loadConfig({ env: { RAMPART_ENV: 'production', RAMPART_KEK: KEK, RAMPART_PUBLIC_URL: 'https://auth.example.com', RAMPART_DATABASE_URL: 'postgres://db.internal/rampart' }, cwd })).message).toContain('sslmode');
    expect(loadConfig({ env: { RAMPART_ENV: 'production', RAMPART_KEK: KEK, RAMPART_PUBLIC_URL: 'https://auth.example.com', RAMPART_DATABASE_URL: 'postgres://db.internal/rampart?sslmode=verify-full' }, cwd }).databaseUrl).toContain('verify-full');
  });

  it('takes log.level from the file or RAMPART_LOG_LEVEL (default info), and refuses a level pino does not have', () => {
    expect(loadConfig({ env: {}, cwd: dir() }).log).toEqual({ level: 'info' });
    expect(loadConfig({ env: {}, cwd: dir('log:\n  level: warn\n') }).log).toEqual({ level: 'warn' });
    const fromEnv = loadConfig({ env: { RAMPART_LOG_LEVEL: 'debug' }, cwd: dir('log:\n  level: warn\n') });
    expect(fromEnv.log).toEqual({ level: 'debug' });
    expect(fromEnv.sources['log.level']).toBe('env');
    const bad = refusal(() => loadConfig({ env: { RAMPART_LOG_LEVEL: 'verbose' }, cwd: dir() }));
    expect(bad.code).toBe('CONFIG_INVALID');
    expect(bad.message).toContain('/log/level');
    expect(refusal(() => loadConfig({ env: {}, cwd: dir('log:\n  levle: debug\n') })).message).toContain('/log: additionalProperties (levle)');
  });

  it('has no metrics listener by default; RAMPART_METRICS_PORT adds one on 127.0.0.1 unless RAMPART_METRICS_HOST says otherwise', () => {
    expect(loadConfig({ env: {}, cwd: dir() }).metrics).toBeUndefined();
    expect(loadConfig({ env: { RAMPART_METRICS_PORT: '9464' }, cwd: dir() }).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadConfig({ env: { RAMPART_METRICS_PORT: '9464', RAMPART_METRICS_HOST: '0.0.0.0' }, cwd: dir() }).metrics).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(loadConfig({ env: {}, cwd: dir('metrics:\n  port: 9100\n') }).metrics).toEqual({ host: '127.0.0.1', port: 9100 });
  });

  it('refuses a metrics host without a port, a port that is not a number, and the main port for metrics', () => {
    const hostOnly = refusal(() => loadConfig({ env: { RAMPART_METRICS_HOST: '0.0.0.0' }, cwd: dir() }));
    expect(hostOnly.code).toBe('CONFIG_INVALID');
    expect(hostOnly.message).toContain('/metrics');
    expect(hostOnly.message).toContain('port');
    expect(refusal(() => loadConfig({ env: { RAMPART_METRICS_PORT: '9464x' }, cwd: dir() })).code).toBe('CONFIG_INVALID');
    expect(refusal(() => loadConfig({ env: { RAMPART_METRICS_PORT: '70000' }, cwd: dir() })).message).toContain('/metrics/port: maximum');
    const same = refusal(() => loadConfig({ env: { RAMPART_PORT: '9000', RAMPART_METRICS_PORT: '9000' }, cwd: dir() }));
    expect(same.message).toContain('/metrics/port');
    expect(refusal(() => loadConfig({ env: {}, cwd: dir('metrics:\n  port: 9100\n  path: /m\n') })).message).toContain('additionalProperties (path)');
  });

  it('refuses a short key-encryption key and never echoes it', () => {
    const error = refusal(() => loadConfig({ env: { RAMPART_KEK: 'c2hvcnQtc2VjcmV0' }, cwd: dir() }));
    expect(error.code).toBe('CONFIG_KEK_INVALID');
    expect(error.message).not.toContain('c2hvcnQtc2VjcmV0');
  });

  it('reads the authorization server settings: resource servers from the file, mTLS proxy headers from the file or RAMPART_OAUTH_MTLS_*', () => {
    const cwd = dir('oauth:\n  resources:\n    - indicator: https://orders.example/\n      scopes: [orders:read, orders:write]\n      accessTokenTtlSeconds: 300\n');
    const config = loadConfig({ env: { RAMPART_OAUTH_MTLS_CERT_HEADER: 'x-ssl-client-cert', RAMPART_OAUTH_MTLS_VERIFIED_HEADER: 'x-ssl-client-verify' }, cwd });
    expect(config.oauth).toEqual({
      resources: [{ indicator: 'https://orders.example/', scopes: ['orders:read', 'orders:write'], accessTokenTtlSeconds: 300 }],
      mtls: { certificateHeader: 'x-ssl-client-cert', verifiedHeader: 'x-ssl-client-verify' },
    });
    expect(loadConfig({ env: {}, cwd: dir() }).oauth).toBeUndefined();
  });

  it('refuses a resource indicator with a fragment or without a scheme, a scope with a space or a quote, and a header name with a colon', () => {
    expect(refusal(() => loadConfig({ env: {}, cwd: dir('oauth:\n  resources:\n    - indicator: https://orders.example/#x\n      scopes: []\n') })).message).toContain('/oauth/resources/0/indicator');
    expect(refusal(() => loadConfig({ env: {}, cwd: dir('oauth:\n  resources:\n    - indicator: orders\n      scopes: []\n') })).message).toContain('/oauth/resources/0/indicator');
    expect(refusal(() => loadConfig({ env: {}, cwd: dir('oauth:\n  resources:\n    - indicator: https://o.example/\n      scopes: ["a b", "c\\"d"]\n') })).message).toContain('/oauth/resources/0/scopes/0');
    expect(refusal(() => loadConfig({ env: { RAMPART_OAUTH_MTLS_CERT_HEADER: 'x-cert: injected' }, cwd: dir() })).message).toContain('/oauth/mtls/certificateHeader');
    expect(refusal(() => loadConfig({ env: {}, cwd: dir('oauth:\n  token: x\n') })).message).toContain('/oauth');
  });
});
