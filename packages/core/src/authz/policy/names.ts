import { AuthzPolicyError } from '../errors.js';

/** Where something is written: the document's `source`, its policy name and a JSON pointer. */
export interface Located {
  readonly source: string;
  readonly policy: string;
  readonly path: string;
}

/** An RFC 6901 JSON pointer from path segments (`~` and `/` escaped), for error locations. */
export function pointer(...segments: (string | number)[]): string {
  return segments.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** `kind → set of actions`, in declaration order, for wildcard expansion. */
export type Catalog = ReadonlyMap<string, readonly string[]>;

/** Expands `kind:action` (either side may be `*`) against the declared kinds and actions; refuses what matches nothing. */
export function expandPermission(pattern: string, catalog: Catalog, where: Located): [string, string][] {
  const [kind = '', action = ''] = pattern.split(':');
  const kinds = kind === '*' ? [...catalog.keys()] : [kind];
  const out: [string, string][] = [];
  for (const k of kinds) {
    const actions = catalog.get(k);
    if (actions === undefined) {
      throw new AuthzPolicyError('AUTHZ_POLICY_UNKNOWN_REFERENCE', `permission "${pattern}" names undeclared resource kind "${k}"`, where);
    }
    if (action === '*') for (const a of actions) out.push([k, a]);
    else if (actions.includes(action)) out.push([k, action]);
    else if (kind !== '*') {
      throw new AuthzPolicyError('AUTHZ_POLICY_UNKNOWN_REFERENCE', `permission "${pattern}": resource kind "${k}" declares no action "${action}"`, where);
    }
  }
  if (out.length === 0) throw new AuthzPolicyError('AUTHZ_POLICY_UNKNOWN_REFERENCE', `permission "${pattern}" matches no declared action`, where);
  return out;
}

export function uniqueNames(names: readonly string[], what: string, where: Located): void {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (seen.has(name)) throw new AuthzPolicyError('AUTHZ_POLICY_DUPLICATE', `${what} "${name}" is listed twice`, { ...where, path: `${where.path}/${i}` });
    seen.add(name);
  });
}
