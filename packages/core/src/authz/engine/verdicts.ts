import type { Decision } from '../model.js';
import type { RuntimeRule } from './runtime-index.js';

/**
 * The verdict table: for every action plan and every role, the decision a check reaches when that role is the only
 * one bound and no fields are named — computed at load wherever no condition, derived role or field list can change
 * it. A check whose bound roles all have a verdict is then decided by one typed-array read per role, with no rule
 * loop; every other check runs the full evaluation. The table only ever repeats what the evaluation would answer
 * (same decision object, same deciding rule), which `properties.test.ts` checks against `tabulate: false` on random sets.
 *
 * Where a condition can change the outcome, the entry names a {@link RoleProgram} instead: only the rules that role can
 * meet, in evaluation order, so a conditional check of a large policy set touches two or three rules, not the plan's.
 *
 * Codes: {@link EVALUATE} (0) — evaluate the rules; {@link NO_RULE} (1) — no rule can apply; `k + 2` — the rule
 * `rules[k]` decides; `programBase + k` — run `programs[k]`. The table is a `Uint16Array` when the codes fit (half
 * the cache footprint), else a `Uint32Array`.
 */
export const EVALUATE = 0;
export const NO_RULE = 1;
/** Programs are numbered from here while the table is built, then renumbered from `programBase`. */
const PROGRAM_TAG = 0x80000000;
/** Rules past this position in a program list are always checked in full (roles, then condition). */
export const DIRECT_BITS = 31;

/**
 * What a check with one bound role and no fields evaluates, in this order: the denies it can meet (the first that
 * holds decides; the list ends at the first unconditional one), then `allow` if there is an unconditional allow, else
 * the conditional allows it can meet (the first that holds decides); then no rule matched.
 */
export interface RoleProgram {
  readonly denies: readonly RuntimeRule[];
  readonly allow: RuntimeRule | undefined;
  readonly allows: readonly RuntimeRule[];
  /**
   * Bit `i` set: the role meets `denies[i]` directly (its own role or `*`), so only the rule's condition needs
   * checking, not the role tables; clear: through a derived role, checked in full. Positions ≥ {@link DIRECT_BITS}
   * are always checked in full.
   */
  readonly denyDirect: number;
  /** The same for `allows`. */
  readonly allowDirect: number;
}

/** Largest table (plans × roles) built; beyond it checks evaluate rules, and memory stays linear in the policies. */
export const MAX_VERDICT_ENTRIES = 1 << 22;

export interface VerdictTable {
  /** `codes[plan.verdictRow + role]`. */
  readonly codes: Uint16Array | Uint32Array;
  readonly rules: readonly RuntimeRule[];
  /** `rules[k].decision`, one load closer to the check that only returns it. */
  readonly decisions: readonly Decision[];
  /** Codes from here on name programs. */
  readonly programBase: number;
  readonly programs: readonly RoleProgram[];
}

/** The roles a rule can apply to when only `role` is bound: regular (inheritance expanded), `*`, or a derived role's parents. */
interface Reach {
  readonly roles: readonly number[];
  /** Every role (`*`). */
  readonly all: boolean;
  /** Roles that reach the rule only through a derived role (its condition decides). */
  readonly derivedParents: readonly number[];
}

function reachOf(rule: RuntimeRule): Reach {
  const derivedParents: number[] = [];
  for (const derived of rule.derived) derivedParents.push(...derived.parentIndexes);
  return { roles: rule.roleIndexes, all: rule.anyRole, derivedParents };
}

const UNSET = 0xffffffff;

/**
 * Builds the table for plans given as `[denies, allows]` in document order, or `undefined` when it would exceed
 * {@link MAX_VERDICT_ENTRIES}. Per role, the checks of `#decideWith` with fields absent:
 * - the first deny that can apply decides — when it is unconditional and reached through a regular role or `*`;
 *   a conditional one (or one reached only through a derived role) means EVALUATE;
 * - with no deny able to apply, the first unconditional, all-fields allow reached through a regular role or `*` decides
 *   (the engine returns such a rule before any conditional one); otherwise any allow that might apply means EVALUATE,
 *   and no allow at all means NO_RULE. Allows with a field list never allow a check that names no fields.
 */
export function buildVerdictTable(plans: readonly { readonly denies: readonly RuntimeRule[]; readonly allows: readonly RuntimeRule[] }[], roleCount: number): VerdictTable | undefined {
  if (plans.length * roleCount > MAX_VERDICT_ENTRIES || roleCount === 0) return undefined;
  const codes = new Uint32Array(plans.length * roleCount);
  const rules: RuntimeRule[] = [];
  const codeOf = new Map<RuntimeRule, number>();
  const ruleCode = (rule: RuntimeRule): number => {
    let code = codeOf.get(rule);
    if (code === undefined) {
      code = rules.length + 2;
      rules.push(rule);
      codeOf.set(rule, code);
    }
    return code;
  };
  const programs: RoleProgram[] = [];
  const row = new Uint32Array(roleCount);
  const maybeAllowed = new Uint8Array(roleCount);
  plans.forEach((plan, p) => {
    row.fill(UNSET);
    maybeAllowed.fill(0);
    let unset = roleCount;
    const settle = (role: number, code: number): void => {
      if (row[role] !== UNSET) return;
      row[role] = code;
      unset -= 1;
    };
    for (const deny of plan.denies) {
      if (unset === 0) break;
      const reach = reachOf(deny);
      const code = deny.condition === undefined ? ruleCode(deny) : EVALUATE;
      if (reach.all) for (let role = 0; role < roleCount; role += 1) settle(role, code);
      else for (const role of reach.roles) settle(role, code);
      for (const role of reach.derivedParents) settle(role, EVALUATE);
    }
    for (const allow of plan.allows) {
      if (unset === 0 || allow.fields !== undefined) continue;
      const reach = reachOf(allow);
      if (allow.condition === undefined) {
        const code = ruleCode(allow);
        if (reach.all) for (let role = 0; role < roleCount; role += 1) settle(role, code);
        else for (const role of reach.roles) settle(role, code);
      } else if (reach.all) {
        maybeAllowed.fill(1);
      } else {
        for (const role of reach.roles) maybeAllowed[role] = 1;
      }
      for (const role of reach.derivedParents) maybeAllowed[role] = 1;
    }
    for (let role = 0; role < roleCount; role += 1) {
      if (row[role] === UNSET) row[role] = maybeAllowed[role] === 1 ? EVALUATE : NO_RULE;
    }
    // Every EVALUATE entry gets the program of its role; roles meeting the same rules share one.
    const byKey = new Map<string, number>();
    for (let role = 0; role < roleCount; role += 1) {
      if (row[role] !== EVALUATE) continue;
      const program = programOf(plan, role);
      const listed = [...program.denies, program.allow, ...program.allows].map((rule) => (rule === undefined ? '-' : ruleCode(rule)));
      const key = `${listed.join(',')}/${program.denyDirect}/${program.allowDirect}`;
      let number = byKey.get(key);
      if (number === undefined) {
        number = programs.length;
        programs.push(program);
        byKey.set(key, number);
      }
      row[role] = PROGRAM_TAG + number;
    }
    codes.set(row, p * roleCount);
  });
  const programBase = rules.length + 2;
  const compact = programBase + programs.length <= 0xffff;
  const table = compact ? new Uint16Array(codes.length) : codes;
  for (let i = 0; i < codes.length; i += 1) {
    const code = codes[i] ?? EVALUATE;
    table[i] = code >= PROGRAM_TAG ? programBase + (code - PROGRAM_TAG) : code;
  }
  return { codes: table, rules, decisions: rules.map((rule) => rule.decision), programBase, programs };
}

/** How a check with only `role` bound can meet `rule`: through the role (or `*`), only through a derived role, or not. */
function reaches(rule: RuntimeRule, role: number): 'direct' | 'derived' | undefined {
  if (rule.anyRole || rule.roles?.has(role) === true) return 'direct';
  return rule.derived.some((derived) => derived.parents.has(role)) ? 'derived' : undefined;
}

/** The rules a check with only `role` bound (and no fields) can meet, as the evaluation meets them. */
function programOf(plan: { readonly denies: readonly RuntimeRule[]; readonly allows: readonly RuntimeRule[] }, role: number): RoleProgram {
  const denies: RuntimeRule[] = [];
  let denyDirect = 0;
  for (const deny of plan.denies) {
    const how = reaches(deny, role);
    if (how === undefined) continue;
    if (how === 'direct' && denies.length < DIRECT_BITS) denyDirect |= 1 << denies.length;
    denies.push(deny);
    if (how === 'direct' && deny.condition === undefined) return { denies, allow: undefined, allows: [], denyDirect, allowDirect: 0 };
  }
  let allow: RuntimeRule | undefined;
  const allows: RuntimeRule[] = [];
  let allowDirect = 0;
  for (const rule of plan.allows) {
    if (rule.fields !== undefined) continue;
    const how = reaches(rule, role);
    if (how === undefined) continue;
    if (how === 'direct' && rule.condition === undefined) {
      allow ??= rule;
    } else {
      if (how === 'direct' && allows.length < DIRECT_BITS) allowDirect |= 1 << allows.length;
      allows.push(rule);
    }
  }
  return allow === undefined ? { denies, allow, allows, denyDirect, allowDirect } : { denies, allow, allows: [], denyDirect, allowDirect: 0 };
}
