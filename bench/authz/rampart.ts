// ──────────────────────────────────────────────────────────────────────────────────────────────────────────────────
// RAMPART PLUGS IN HERE. Replace `undefined` with a factory that builds Rampart's engine from the abstract model
// (users with tenant and assigned roles, roles with `inherits`, rules `role kind:action allow|deny [owner|draft]`;
// see ./model.ts and the oracle's semantics in ./oracle.ts) and returns a synchronous `check(user, action, resource)`.
// `run()` then cross-checks it against the oracle with the peers and turns every timing row into a `compare()` row:
// Rampart vs casbin enforce, vs casbin enforceSync and vs CASL can, per size (small, 20k rules) and query class.
// ──────────────────────────────────────────────────────────────────────────────────────────────────────────────────
import type { CheckerFactory } from './model.js';

/** Rampart's contender for the authorization benchmark; `undefined` until the engine exists. */
export const rampartFactory: CheckerFactory | undefined = undefined;
