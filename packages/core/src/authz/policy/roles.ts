import { AuthzPolicyError } from '../errors.js';

/** Deepest inheritance chain: closures are computed per role, so a deep chain costs its depth squared. */
export const MAX_INHERITANCE_DEPTH = 64;
/** Most (role, inherited role) pairs in a set: the closures are kept in memory. */
export const MAX_CLOSURE_ENTRIES = 2_000_000;

/** One role as declared, with where it was declared (for errors). */
export interface DeclaredRole {
  readonly name: string;
  readonly inherits: readonly string[];
  readonly source: string;
  readonly path: string;
}

/** The role DAG after checking: a topological order (parents first) and each role's ancestors, itself included. */
export interface RoleGraph {
  /** Every role, parents before the roles that inherit from them. */
  readonly order: readonly string[];
  /** Role → itself and every role it inherits from, transitively. */
  readonly ancestors: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * Checks role inheritance and computes the transitive closure once, at load. A reference to an undeclared role and a
 * cycle (which would make `admin` inherit from itself through `editor`, and make closures undefined) are refused; the
 * cycle error names every role on it. Iterative, so a 100 000-role chain cannot overflow the stack; hierarchies deeper
 * than {@link MAX_INHERITANCE_DEPTH} or larger than {@link MAX_CLOSURE_ENTRIES} are refused before they exhaust memory.
 */
export function buildRoleGraph(roles: ReadonlyMap<string, DeclaredRole>): RoleGraph {
  for (const role of roles.values()) {
    role.inherits.forEach((parent, i) => {
      if (!roles.has(parent)) {
        throw new AuthzPolicyError('AUTHZ_POLICY_UNKNOWN_REFERENCE', `role "${role.name}" inherits from undeclared role "${parent}"`, {
          source: role.source,
          path: `${role.path}/inherits/${i}`,
        });
      }
    });
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  for (const start of roles.keys()) {
    if (state.has(start)) continue;
    // Explicit DFS stack: [role, index of the next parent to visit]; `path` mirrors the roles currently "visiting".
    const stack: [string, number][] = [[start, 0]];
    const path: string[] = [start];
    state.set(start, 'visiting');
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top === undefined) break;
      const [name, next] = top;
      const parents = roles.get(name)?.inherits ?? [];
      const parent = parents[next];
      if (parent === undefined) {
        stack.pop();
        path.pop();
        state.set(name, 'done');
        order.push(name);
        continue;
      }
      top[1] = next + 1;
      const seen = state.get(parent);
      if (seen === 'done') continue;
      if (seen === 'visiting') {
        const cycle = [...path.slice(path.indexOf(parent)), parent];
        const role = roles.get(name);
        throw new AuthzPolicyError('AUTHZ_ROLE_CYCLE', `role inheritance has a cycle: ${cycle.join(' → ')}`, {
          source: role?.source,
          path: `${role?.path ?? ''}/inherits/${next}`,
          cycle,
        });
      }
      state.set(parent, 'visiting');
      stack.push([parent, 0]);
      path.push(parent);
    }
  }
  const depth = new Map<string, number>();
  const ancestors = new Map<string, ReadonlySet<string>>();
  let total = 0;
  for (const name of order) {
    const role = roles.get(name);
    const level = 1 + Math.max(0, ...(role?.inherits ?? []).map((parent) => depth.get(parent) ?? 0));
    if (level > MAX_INHERITANCE_DEPTH) {
      throw new AuthzPolicyError('AUTHZ_POLICY_INVALID', `role "${name}" is ${level} levels deep in the hierarchy (at most ${MAX_INHERITANCE_DEPTH})`, {
        source: role?.source,
        path: `${role?.path ?? ''}/inherits`,
      });
    }
    depth.set(name, level);
    const set = new Set<string>([name]);
    for (const parent of role?.inherits ?? []) for (const ancestor of ancestors.get(parent) ?? []) set.add(ancestor);
    total += set.size;
    if (total > MAX_CLOSURE_ENTRIES) {
      throw new AuthzPolicyError('AUTHZ_POLICY_INVALID', `the role hierarchy expands to more than ${MAX_CLOSURE_ENTRIES} inherited roles in total`, {
        source: role?.source,
        path: role?.path,
      });
    }
    ancestors.set(name, set);
  }
  return { order, ancestors };
}
