import type { Context } from 'hono';
import type { RampartState } from '@rampart/core/http';

/** The context variables Rampart sets. */
export interface RampartVariables {
  /** Set by `rampart()` on every request it lets through. */
  rampart: RampartState<Context>;
  /** The parsed body: set by `rampartJson()`, `rampartForm()`, or by `rampart()` when it finished a CSRF form check. */
  body: unknown;
}

/** Hono environment to declare on an app that uses Rampart: `new Hono<RampartEnv>()`. */
export interface RampartEnv {
  Variables: RampartVariables;
}
