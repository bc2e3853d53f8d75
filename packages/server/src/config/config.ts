import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { compile, Type, type Static } from '@rampart/core/validate';
import { parseDocument } from 'yaml';
import { ServerConfigError } from './errors.js';
import { readTlsFiles } from './tls.js';

/** The log levels `log.level` accepts, most to least severe; `silent` writes nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A level of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/*
 * One schema for the file and the environment: additional properties are refused (a misspelt key is an error, not a
 * silently ignored setting), and every string is bounded. Secrets are not part of it: they come from the environment
 * only (RAMPART_KEK), never from a file that ends up in a repository or an image.
 */
const ConfigSchema = Type.Object(
  {
    env: Type.Union([Type.Literal('development'), Type.Literal('production')]),
    listen: Type.Object(
      {
        host: Type.String({ minLength: 1, maxLength: 255 }),
        port: Type.Integer({ minimum: 0, maximum: 65535 }),
      },
      { additionalProperties: false },
    ),
    dataDir: Type.String({ minLength: 1, maxLength: 4096 }),
    databaseUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, pattern: '^postgres(ql)?://' })),
    /** The address users reach the server at, for links in mail (verification, reset). Production requires https. */
    publicUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, pattern: '^https?://[^\\s/?#]+(/[^\\s?#]*)?$' })),
    redisUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, pattern: '^rediss?://' })),
    /** Prefix of every Redis key this deployment writes, so several deployments can share one Redis. */
    redisKeyPrefix: Type.String({ minLength: 1, maxLength: 48, pattern: '^[A-Za-z0-9_.-]+$' }),
    /**
     * This server process's name among the instances sharing one database: each instance writes its own audit trail
     * (one chain per writer), named after it. Two running instances must not share one.
     */
    instanceId: Type.String({ minLength: 1, maxLength: 24, pattern: '^[a-z0-9][a-z0-9_]*$' }),
    shutdownGraceMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
    /**
     * The reverse proxies / load balancers in front of the server (CIDR ranges or addresses). Forwarding headers
     * (`X-Forwarded-For`, `X-Forwarded-Proto`) are read only from them; from anyone else they are ignored (and
     * reported). Empty: the TCP peer is the client.
     */
    trustedProxies: Type.Array(Type.String({ minLength: 2, maxLength: 64, pattern: '^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$' }), { maxItems: 64 }),
    log: Type.Object(
      {
        level: Type.Union(LOG_LEVELS.map((level) => Type.Literal(level))),
      },
      { additionalProperties: false },
    ),
    /** The OAuth 2.1 / OpenID Connect authorization server (src/oauth/). */
    oauth: Type.Optional(
      Type.Object(
        {
          /**
           * The APIs access tokens may be issued for (RFC 8707): each resource indicator becomes the `aud` of its
           * JWT access tokens, which carry at most its scopes. A `resource` not listed here is refused.
           */
          resources: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  indicator: Type.String({ minLength: 1, maxLength: 2048, pattern: '^[a-zA-Z][a-zA-Z0-9+.-]*:[^\\s#]+$' }),
                  scopes: Type.Array(Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' }), { maxItems: 256, uniqueItems: true }),
                  // At most the signing keys' schedule (10 minutes): a replaced key leaves the JWKS once every token
                  // it signed has expired, timed for that lifetime.
                  accessTokenTtlSeconds: Type.Optional(Type.Integer({ minimum: 30, maximum: 600 })),
                },
                { additionalProperties: false },
              ),
              { maxItems: 256 },
            ),
          ),
          /**
           * Mutual TLS behind a TLS-terminating proxy (RFC 8705): the headers the proxy sets with the client's
           * certificate and its verification result. Read only from `trustedProxies`.
           */
          mtls: Type.Optional(
            Type.Object(
              {
                certificateHeader: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' })),
                verifiedHeader: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' })),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    /**
     * TLS terminated by the server itself (PEM files): it then listens with https and asks every client for a
     * certificate (RFC 8705 mutual TLS), without requiring one. Absent: plain http, for a TLS-terminating proxy in front.
     */
    tls: Type.Optional(
      Type.Object(
        {
          certFile: Type.String({ minLength: 1, maxLength: 4096 }),
          keyFile: Type.String({ minLength: 1, maxLength: 4096 }),
          /**
           * The CAs whose client certificates count as verified (`tls_client_auth`). Absent: no client certificate is
           * verified — only `self_signed_tls_client_auth`, which pins the certificate itself, accepts them.
           */
          clientCaFile: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
        },
        { additionalProperties: false },
      ),
    ),
    // Absent: /metrics on the main port to loopback peers only (never in production). Present: its own listener, and
    // the main port has no /metrics at all (packages/server/src/ops/metrics.ts).
    metrics: Type.Optional(
      Type.Object(
        {
          host: Type.String({ minLength: 1, maxLength: 255 }),
          port: Type.Integer({ minimum: 0, maximum: 65535 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

type ConfigShape = Static<typeof ConfigSchema>;

/** The validated configuration. `dataDir` is absolute. */
export interface ServerConfig extends Readonly<Omit<ConfigShape, 'listen' | 'log' | 'metrics' | 'oauth' | 'tls'>> {
  readonly listen: Readonly<ConfigShape['listen']>;
  /** TLS on the server's own listener, when configured: absolute paths of the PEM files (read by `readTlsFiles`). */
  readonly tls?: Readonly<NonNullable<ConfigShape['tls']>>;
  readonly log: { readonly level: LogLevel };
  /** The authorization server's settings, when any are configured. */
  readonly oauth?: Readonly<NonNullable<ConfigShape['oauth']>>;
  /** The separate metrics listener, when one is configured. */
  readonly metrics?: Readonly<NonNullable<ConfigShape['metrics']>>;
  readonly dataDir: string;
  /** The key-encryption key from RAMPART_KEK (≥ 32 bytes), or `undefined` (development generates one). */
  readonly keyEncryptionKey: Buffer | undefined;
  /**
   * Where OpenTelemetry traces go (OTLP over HTTP), from the standard variables `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
   * or `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/traces`); `undefined`: no tracing.
   */
  readonly otlpTracesEndpoint: string | undefined;
  /** Where each setting came from, for `rampart config check`. */
  readonly sources: Readonly<Record<string, 'default' | 'file' | 'env'>>;
}

// Every issue at once: a configuration is fixed in one edit, not one error per start.
const compiled = compile(ConfigSchema, { reportAllIssues: true });

const DEFAULTS = { env: 'development', listen: { host: '127.0.0.1', port: 8080 }, dataDir: './.rampart', redisKeyPrefix: 'rampart', instanceId: 'main', trustedProxies: [], shutdownGraceMs: 10_000, log: { level: 'info' } } as const;
// Only applied when a metrics port is configured: the metrics listener binds to loopback unless told otherwise.
const METRICS_DEFAULTS = { host: '127.0.0.1' } as const;

/** Environment variables and the setting each one sets. */
const ENV_SETTINGS: Readonly<Record<string, readonly string[]>> = {
  RAMPART_ENV: ['env'],
  RAMPART_HOST: ['listen', 'host'],
  RAMPART_PORT: ['listen', 'port'],
  RAMPART_DATA_DIR: ['dataDir'],
  RAMPART_DATABASE_URL: ['databaseUrl'],
  RAMPART_REDIS_URL: ['redisUrl'],
  RAMPART_REDIS_KEY_PREFIX: ['redisKeyPrefix'],
  RAMPART_PUBLIC_URL: ['publicUrl'],
  RAMPART_SHUTDOWN_GRACE_MS: ['shutdownGraceMs'],
  RAMPART_INSTANCE_ID: ['instanceId'],
  RAMPART_TRUSTED_PROXIES: ['trustedProxies'],
  RAMPART_LOG_LEVEL: ['log', 'level'],
  RAMPART_METRICS_HOST: ['metrics', 'host'],
  RAMPART_METRICS_PORT: ['metrics', 'port'],
  RAMPART_OAUTH_MTLS_CERT_HEADER: ['oauth', 'mtls', 'certificateHeader'],
  RAMPART_OAUTH_MTLS_VERIFIED_HEADER: ['oauth', 'mtls', 'verifiedHeader'],
  RAMPART_TLS_CERT_FILE: ['tls', 'certFile'],
  RAMPART_TLS_KEY_FILE: ['tls', 'keyFile'],
  RAMPART_TLS_CLIENT_CA_FILE: ['tls', 'clientCaFile'],
};
const NUMERIC = new Set(['RAMPART_PORT', 'RAMPART_SHUTDOWN_GRACE_MS', 'RAMPART_METRICS_PORT']);
// Comma-separated lists.
const LISTS = new Set(['RAMPART_TRUSTED_PROXIES']);
const KNOWN_ENV = new Set([...Object.keys(ENV_SETTINGS), 'RAMPART_KEK', 'RAMPART_CONFIG']);

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions {
  /** The YAML file; default RAMPART_CONFIG, else `rampart.config.yaml` in `cwd` when it exists. */
  readonly file?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ServerConfigError('CONFIG_FILE_UNREADABLE', `cannot read ${path}`, { cause });
  }
  let parsed: unknown;
  try {
    // YAML 1.2 core schema only: an unknown tag (`!!js/function`) is an error, not a string; no merge keys; aliases
    // bounded (no billion laughs); duplicate keys refused (which one wins would be a guess).
    const document = parseDocument(text, { schema: 'core', merge: false, uniqueKeys: true, logLevel: 'silent' });
    const problem = document.errors[0] ?? document.warnings[0];
    if (problem !== undefined) throw problem;
    parsed = document.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    throw new ServerConfigError('CONFIG_FILE_INVALID', `${path} is not valid YAML: ${cause instanceof Error ? (cause.message.split('\n')[0] ?? '') : 'parse error'}`, { cause });
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isRecord(parsed)) throw new ServerConfigError('CONFIG_FILE_INVALID', `${path} must hold a mapping of settings`);
  if ('keyEncryptionKey' in parsed || 'kek' in parsed) {
    throw new ServerConfigError('CONFIG_SECRET_IN_FILE', `${path} holds a key: secrets come from the environment only (RAMPART_KEK)`);
  }
  return parsed;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    node = isRecord(child) ? child : (node[key] = {});
  }
  node[path.at(-1) as string] = value;
}

function parseKek(text: string): Buffer {
  const trimmed = text.trim();
  const bytes = /^[0-9a-fA-F]+$/.test(trimmed) && trimmed.length % 2 === 0 ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64url');
  if (bytes.length < 32) throw new ServerConfigError('CONFIG_KEK_INVALID', 'RAMPART_KEK must hold at least 32 bytes (64 hex or 43 base64url characters)');
  return bytes;
}

/**
 * Loads the configuration from defaults, the YAML file and `RAMPART_*` variables (in that order of precedence, the
 * environment last), validates it against one schema, and refuses what is unsafe in production. Errors name the
 * setting and the rule (`ServerConfigError`), never a secret's value. Protects against a server starting on a
 * setting nobody meant: misspelt keys, unknown `RAMPART_*` variables, out-of-range ports, keys in files, TLS files
 * that do not hold a certificate and its key, and a production server without a key-encryption key or listening on
 * every interface without saying so.
 */
export function loadConfig(options: LoadConfigOptions = {}): ServerConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const unknown = Object.keys(env).filter((name) => name.startsWith('RAMPART_') && !KNOWN_ENV.has(name) && !name.startsWith('RAMPART_TEST_') && !name.startsWith('RAMPART_BENCH_'));
  if (unknown.length > 0) throw new ServerConfigError('CONFIG_UNKNOWN_ENV', `unknown setting ${unknown.sort().join(', ')} (known: ${[...KNOWN_ENV].sort().join(', ')})`);

  const file = options.file ?? env.RAMPART_CONFIG ?? (existsSync(resolve(cwd, 'rampart.config.yaml')) ? 'rampart.config.yaml' : undefined);
  const raw: Record<string, unknown> = file === undefined ? {} : readFile(resolve(cwd, file));
  const sources: Record<string, 'default' | 'file' | 'env'> = {};
  for (const key of Object.keys(raw)) sources[key] = 'file';
  for (const [name, path] of Object.entries(ENV_SETTINGS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (NUMERIC.has(name) && !/^\d{1,9}$/.test(value)) throw new ServerConfigError('CONFIG_INVALID', `${name} must be a whole number`);
    setPath(raw, path, NUMERIC.has(name) ? Number(value) : LISTS.has(name) ? value.split(',').map((item) => item.trim()).filter((item) => item !== '') : value);
    sources[path.join('.')] = 'env';
  }

  const { listen, log, metrics } = raw;
  const merged = {
    ...DEFAULTS,
    ...raw,
    listen: isRecord(listen) ? { ...DEFAULTS.listen, ...listen } : (listen ?? DEFAULTS.listen),
    log: isRecord(log) ? { ...DEFAULTS.log, ...log } : (log ?? DEFAULTS.log),
    ...(metrics === undefined ? {} : { metrics: isRecord(metrics) ? { ...METRICS_DEFAULTS, ...metrics } : metrics }),
  };
  const checked = compiled.check(merged);
  if (!checked.ok) {
    const issues = checked.issues.map((issue) => `${issue.pointer === '' ? '(top level)' : issue.pointer}: ${issue.rule}${issue.property === undefined ? '' : ` (${issue.property})`}`);
    throw new ServerConfigError('CONFIG_INVALID', `invalid configuration${file === undefined ? '' : ` in ${file}`}: ${issues.join('; ')}`);
  }
  const value = checked.value;
  const keyEncryptionKey = env.RAMPART_KEK === undefined || env.RAMPART_KEK === '' ? undefined : parseKek(env.RAMPART_KEK);
  const absolute = (path: string): string => (isAbsolute(path) ? path : resolve(cwd, path));
  const config: ServerConfig = {
    ...value,
    dataDir: absolute(value.dataDir),
    ...(value.tls === undefined
      ? {}
      : { tls: { certFile: absolute(value.tls.certFile), keyFile: absolute(value.tls.keyFile), ...(value.tls.clientCaFile === undefined ? {} : { clientCaFile: absolute(value.tls.clientCaFile) }) } }),
    keyEncryptionKey,
    otlpTracesEndpoint: otlpTracesEndpoint(env),
    sources,
  };
  const metricsPort = config.metrics?.port;
  if (metricsPort !== undefined && metricsPort !== 0 && metricsPort === config.listen.port) {
    throw new ServerConfigError('CONFIG_INVALID', `invalid configuration: /metrics/port: must differ from /listen/port (${metricsPort}): the metrics listener is a separate socket`);
  }
  // Read now, so `rampart config check` finds a wrong path, a key that is not the certificate's, or a leaf given as CA.
  if (config.tls !== undefined) readTlsFiles(config.tls);
  if (config.env === 'production') refuseUnsafeProduction(config);
  return config;
}

/** The OTLP/HTTP traces URL the standard OpenTelemetry variables name, checked to be an http(s) URL. */
function otlpTracesEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url = traces !== undefined && traces !== '' ? traces : base !== undefined && base !== '' ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ServerConfigError('CONFIG_INVALID', 'invalid configuration: OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is not a URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ServerConfigError('CONFIG_INVALID', 'invalid configuration: OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT must be http(s)');
  return parsed.toString();
}

/**
 * Production refuses what development tolerates: a generated key, unencrypted remote services, and a TLS private key
 * every user of the machine can read.
 */
function refuseUnsafeProduction(config: ServerConfig): void {
  const problems: string[] = [];
  if (config.keyEncryptionKey === undefined) problems.push('RAMPART_KEK is not set (development generates a key; production must be given one)');
  if (config.publicUrl === undefined || !config.publicUrl.startsWith('https://')) problems.push('RAMPART_PUBLIC_URL must be the https:// address users reach (links in mail carry tokens)');
  if (config.redisUrl?.startsWith('redis://') === true && !/^redis:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(config.redisUrl)) {
    problems.push('RAMPART_REDIS_URL uses redis:// to a remote host: use rediss:// (TLS)');
  }
  if (config.databaseUrl !== undefined && !/[?&]sslmode=(require|verify-ca|verify-full)\b/.test(config.databaseUrl) && !/@(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(config.databaseUrl)) {
    problems.push('RAMPART_DATABASE_URL reaches a remote host without sslmode=require/verify-full');
  }
  const keyMode = config.tls === undefined ? undefined : statSync(config.tls.keyFile).mode & 0o777;
  if (config.tls !== undefined && keyMode !== undefined && (keyMode & 0o007) !== 0) {
    problems.push(`the TLS private key ${config.tls.keyFile} is accessible to every user (mode ${keyMode.toString(8)}): chmod 600 it (640 for a group the service is in)`);
  }
  if (problems.length > 0) throw new ServerConfigError('CONFIG_UNSAFE_FOR_PRODUCTION', `refusing to start in production: ${problems.join('; ')}`);
}
