// Shared by the HTTP benchmark's servers and its runner: the frameworks, the variants, and the one contract between
// them (the line a server prints when it is ready).

export const FRAMEWORKS = ['express', 'fastify', 'hono'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/**
 * `bare`: the framework alone. `rampart`: Rampart's full chain. `peer`: the middleware stack people use today.
 * `floor`: no controls at all, only the response headers Rampart's chain sends, set as constants by the framework's
 * cheapest mechanism — what sending those headers costs by itself, the least any chain that sends them can cost.
 */
export const VARIANTS = ['bare', 'rampart', 'peer', 'floor'] as const;
export type Variant = (typeof VARIANTS)[number];

/** The SPA origin every protected variant allows, with credentials. The load generator sends it as `Origin`. */
export const APP_ORIGIN = 'https://app.example.com';

/** Never reached during a run: the rate limiters must run their check on every request and never refuse. */
export const RATE_LIMIT = 1_000_000_000;
export const RATE_WINDOW_SECONDS = 60;

/** The one response body, for `GET /` (measured) and `POST /` (used only to verify CSRF protection). */
export const BODY = { ok: true } as const;

/** What a server reports once it listens. */
export interface Ready {
  readonly port: number;
  /** For the Rampart variant: the controls in its chain (`headers`, `cors`, `csrf`, `ratelimit`). */
  readonly pieces: readonly string[];
  /** How the chain reaches the framework: the `@rampart/<framework>` adapter, or `chain-glue` until it exists. */
  readonly glue: string;
}

/** The Rampart chain the benchmark is meant to measure, in chain order; fewer pieces make a row `partial`. */
export const FULL_CHAIN = ['headers', 'cors', 'ratelimit', 'csrf'] as const;

export const READY_PREFIX = 'RAMPART_BENCH_READY ';

export function isFramework(value: string | undefined): value is Framework {
  return (FRAMEWORKS as readonly (string | undefined)[]).includes(value);
}

export function isVariant(value: string | undefined): value is Variant {
  return (VARIANTS as readonly (string | undefined)[]).includes(value);
}

/** A started server, as each `servers/<framework>.ts` returns it. */
export interface Started {
  readonly port: number;
  readonly pieces: readonly string[];
  readonly glue: string;
  close(): Promise<void>;
}

/** How each framework's peer stack is labelled in tables. */
export const PEER_STACK: Readonly<Record<Framework, string>> = {
  express: 'helmet+cors+csrf-csrf+express-rate-limit',
  fastify: '@fastify/helmet+cors+csrf-protection+rate-limit',
  hono: 'hono secureHeaders+cors+csrf',
};

/** The share of bare throughput Rampart's full chain must keep (the goal). */
export const GOAL: Readonly<Record<Framework, number>> = { express: 0.95, fastify: 0.8, hono: 0.8 };
