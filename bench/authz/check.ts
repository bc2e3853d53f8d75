// A benchmark of wrong answers measures nothing. Before anything is timed, every contender answers the query stream
// and each answer must equal the oracle's; and the stream itself must reach every path of the semantics (tenant
// isolation, default deny, inheritance, conditions, deny overrides), or a contender that skips one could still pass.
import { decide, type Reason } from './oracle.js';
import type { AuthzModel, Query, Resource, User } from './model.js';

/** A contender's check, synchronous or awaited (casbin's `enforce`). */
export type AnyChecker = (user: User, action: string, resource: Resource) => boolean | Promise<boolean>;

/** The first query on which a contender disagreed with the oracle. */
export class CrossCheckMismatch extends Error {
  override readonly name = 'CrossCheckMismatch';

  constructor(
    readonly contender: string,
    readonly model: AuthzModel['size'],
    readonly index: number,
    readonly query: Query,
    readonly expected: boolean,
    readonly actual: unknown,
    readonly reason: Reason,
  ) {
    const { user, action, resource } = query;
    super(
      `${contender} (${model} model) disagrees with the oracle on query #${index} (${query.class}): ` +
        `${user.id} [tenant ${user.tenant}, roles ${user.roles.join(' ')}] ${action} ` +
        `${resource.kind} ${resource.id} [tenant ${resource.tenant}, owner ${resource.owner}, ${resource.status}]: ` +
        `expected ${expected} (${reason}), got ${String(actual)}`,
    );
  }
}

/** Every reason the oracle can give, and how often the checked queries produced it. */
export type Coverage = Readonly<Record<Reason, number>>;

const REASONS: readonly Reason[] = ['cross-tenant', 'denied', 'allowed-direct', 'allowed-inherited', 'condition-unmet', 'no-grant'];

/**
 * Counts the oracle's reasons over `queries` and throws unless every reason occurs, and both answers occur in each
 * query class present, so that a contender ignoring any rule of the semantics would be caught by `crossCheck`.
 */
export function assertCoverage(model: AuthzModel, queries: readonly Query[]): Coverage {
  const coverage = Object.fromEntries(REASONS.map((reason) => [reason, 0])) as Record<Reason, number>;
  const answers = new Map<Query['class'], Set<boolean>>();
  for (const query of queries) {
    const decision = decide(model, query.user, query.action, query.resource);
    coverage[decision.reason]++;
    const seen = answers.get(query.class) ?? new Set<boolean>();
    seen.add(decision.allow);
    answers.set(query.class, seen);
  }
  const missing = REASONS.filter((reason) => coverage[reason] === 0);
  if (missing.length > 0) throw new Error(`${model.size}: the query stream never reaches: ${missing.join(', ')}`);
  for (const [queryClass, seen] of answers) {
    if (queryClass !== 'cross-tenant' && seen.size < 2) throw new Error(`${model.size}: ${queryClass} queries all get the same answer`);
  }
  return coverage;
}

/** One contender of the cross-check; `limit` caps how many queries (a prefix of the stream) it answers. */
export interface CrossCheckContender {
  readonly name: string;
  readonly check: AnyChecker;
  readonly limit?: number;
}

/**
 * Asks every contender the queries (all, or its `limit` first) and compares each answer with the oracle's; throws
 * `CrossCheckMismatch` on the first disagreement. Returns the number of answers compared.
 */
export async function crossCheck(model: AuthzModel, queries: readonly Query[], contenders: readonly CrossCheckContender[]): Promise<number> {
  const longest = Math.min(queries.length, Math.max(0, ...contenders.map((c) => c.limit ?? queries.length)));
  const truth = queries.slice(0, longest).map((query) => decide(model, query.user, query.action, query.resource));
  let compared = 0;
  for (const { name, check, limit = queries.length } of contenders) {
    for (const [index, want] of truth.slice(0, limit).entries()) {
      const query = queries[index]!;
      const got: unknown = await check(query.user, query.action, query.resource);
      if (got !== want.allow) throw new CrossCheckMismatch(name, model.size, index, query, want.allow, got, want.reason);
      compared++;
    }
  }
  return compared;
}
