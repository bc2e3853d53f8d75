import { isCelUint } from '@bufbuild/cel';
import type { CelExpr } from '../cel/ast.js';
import {
  and,
  compare,
  FALSE,
  TRUE,
  isNull,
  KNOWN_ERROR,
  not,
  oneOf,
  or,
  present,
  triAnd,
  triNot,
  triOf,
  triOr,
  type Filter,
  type Tri,
} from './filter.js';
import { listOf, scalarOf, type KnownFrame, type KnownValue } from './known.js';
import type { PlanField, PlanScalar } from './types.js';

/** What a subexpression is at plan time. */
type Term =
  | { readonly t: 'known'; readonly known: KnownValue }
  /** A resource field read; `root` fields (owner, id, tenant) are never absent, only `null`; attributes may be absent. */
  | { readonly t: 'field'; readonly field: PlanField; readonly root: boolean }
  | { readonly t: 'bool'; readonly tri: Tri }
  | { readonly t: 'opaque' };

const OPAQUE: Term = { t: 'opaque' };
const ROOT_FIELDS: ReadonlySet<string> = new Set(['owner', 'id', 'tenant']);

/** Whether `expr` reads the row: any `resource` other than `resource.kind` and `has(resource.<field>)`. */
function readsRow(expr: CelExpr): boolean {
  const stack: CelExpr[] = [expr];
  for (let e = stack.pop(); e !== undefined; e = stack.pop()) {
    switch (e.kind) {
      case 'ident':
        if (e.name === 'resource') return true;
        break;
      case 'select':
        if (e.operand.kind === 'ident' && e.operand.name === 'resource' && (e.testOnly || e.field === 'kind')) break;
        stack.push(e.operand);
        break;
      case 'call':
        if (e.target !== undefined) stack.push(e.target);
        stack.push(...e.args);
        break;
      case 'list':
        stack.push(...e.elements);
        break;
      case 'map':
        for (const entry of e.entries) stack.push(entry.key, entry.value);
        break;
      case 'comprehension':
        stack.push(e.iterRange, e.accuInit, e.loopCondition, e.loopStep, e.result);
        break;
      default:
        break;
    }
  }
  return false;
}

function isResourceSelect(expr: CelExpr, field: string): boolean {
  return expr.kind === 'select' && !expr.testOnly && expr.field === field && expr.operand.kind === 'ident' && expr.operand.name === 'resource';
}

const FLIPPED = { _lt_: 'gt', _le_: 'ge', _gt_: 'lt', _ge_: 'le' } as const;
const OPS: Readonly<Record<string, 'lt' | 'le' | 'gt' | 'ge'>> = { '_<_': 'lt', '_<=_': 'le', '_>_': 'gt', '_>=_': 'ge' };
const NEGATED = { lt: 'ge', le: 'gt', gt: 'le', ge: 'lt' } as const;

/**
 * Partial evaluation of one condition for one tenant case: what does not read the row is evaluated by the CEL library
 * (same answers as `check`), what reads it becomes a filter. Shapes over the row it translates: `resource.owner|id|
 * tenant` and `resource.attributes.<name>` compared (`==`, `!=`, `<`, `<=`, `>`, `>=` with numbers) with a known
 * value, `in` a known list, `has(resource.attributes.<name>)`, a boolean attribute used as a condition, `&&`, `||`,
 * `!`, `?:`. Anything else is opaque: it translates as an error (deny), and `opaque` records that.
 */
export class ConditionTranslator {
  readonly #frame: KnownFrame;
  readonly #source: string;
  opaque = false;

  constructor(frame: KnownFrame, source: string) {
    this.#frame = frame;
    this.#source = source;
  }

  condition(ast: CelExpr): Tri {
    return this.#tri(this.#term(ast));
  }

  #tri(term: Term): Tri {
    switch (term.t) {
      case 'known':
        return !term.known.error && typeof term.known.value === 'boolean' ? triOf(term.known.value) : KNOWN_ERROR;
      case 'bool':
        return term.tri;
      case 'field':
        // Root fields hold strings or null: not a boolean, an error. A boolean attribute is true, false, or absent.
        return term.root ? KNOWN_ERROR : { whenTrue: compare('eq', term.field, true), whenFalse: compare('eq', term.field, false) };
      case 'opaque':
        this.opaque = true;
        return KNOWN_ERROR;
    }
  }

  #term(expr: CelExpr): Term {
    if (!readsRow(expr)) return { t: 'known', known: this.#frame.evaluate(this.#source, expr.id) };
    switch (expr.kind) {
      case 'select':
        return this.#select(expr);
      case 'call':
        return this.#call(expr);
      default:
        return OPAQUE;
    }
  }

  #select(expr: Extract<CelExpr, { kind: 'select' }>): Term {
    const operand = expr.operand;
    if (expr.testOnly) {
      // has(resource.attributes.x): an absent attribute is a NULL column (and a null-valued one counts as absent).
      if (isResourceSelect(operand, 'attributes')) return { t: 'bool', tri: { whenTrue: present({ kind: 'attribute', name: expr.field }), whenFalse: isNull({ kind: 'attribute', name: expr.field }) } };
      return OPAQUE;
    }
    if (operand.kind === 'ident' && operand.name === 'resource' && ROOT_FIELDS.has(expr.field)) {
      return { t: 'field', field: { kind: expr.field as 'owner' | 'id' | 'tenant' }, root: true };
    }
    if (isResourceSelect(operand, 'attributes')) return { t: 'field', field: { kind: 'attribute', name: expr.field }, root: false };
    return OPAQUE;
  }

  #call(expr: Extract<CelExpr, { kind: 'call' }>): Term {
    if (expr.target !== undefined) return OPAQUE;
    const [a, b, c] = expr.args;
    switch (expr.function) {
      case '_&&_':
      case '_||_': {
        if (a === undefined || b === undefined) return OPAQUE;
        const left = this.#tri(this.#term(a));
        const right = this.#tri(this.#term(b));
        return { t: 'bool', tri: expr.function === '_&&_' ? triAnd(left, right) : triOr(left, right) };
      }
      case '!_':
        return a === undefined ? OPAQUE : { t: 'bool', tri: triNot(this.#tri(this.#term(a))) };
      case '_?_:_': {
        if (a === undefined || b === undefined || c === undefined) return OPAQUE;
        const test = this.#tri(this.#term(a));
        const then = this.#tri(this.#term(b));
        const otherwise = this.#tri(this.#term(c));
        return {
          t: 'bool',
          tri: {
            whenTrue: or(and(test.whenTrue, then.whenTrue), and(test.whenFalse, otherwise.whenTrue)),
            whenFalse: or(and(test.whenTrue, then.whenFalse), and(test.whenFalse, otherwise.whenFalse)),
          },
        };
      }
      case '_==_':
      case '_!=_': {
        if (a === undefined || b === undefined) return OPAQUE;
        const tri = this.#equality(this.#term(a), this.#term(b));
        if (tri === undefined) return OPAQUE;
        return { t: 'bool', tri: expr.function === '_!=_' ? triNot(tri) : tri };
      }
      case '_<_':
      case '_<=_':
      case '_>_':
      case '_>=_': {
        if (a === undefined || b === undefined) return OPAQUE;
        const op = OPS[expr.function];
        if (op === undefined) return OPAQUE;
        const tri = this.#ordering(op, this.#term(a), this.#term(b));
        return tri === undefined ? OPAQUE : { t: 'bool', tri };
      }
      case '@in': {
        if (a === undefined || b === undefined) return OPAQUE;
        const tri = this.#membership(this.#term(a), this.#term(b));
        return tri === undefined ? OPAQUE : { t: 'bool', tri };
      }
      default:
        return OPAQUE;
    }
  }

  /** Where a field read succeeds: always for root fields, when present for attributes (a missing key is an error). */
  #readable(field: Extract<Term, { t: 'field' }>): Filter {
    return field.root ? TRUE : present(field.field);
  }

  /** CEL heterogeneous equality of a field with a known value: other types are unequal, not errors. */
  #equality(left: Term, right: Term): Tri | undefined {
    const [field, known] = left.t === 'field' ? [left, right] : [right, left];
    if (field.t !== 'field' || known.t !== 'known') return undefined;
    if (known.known.error) return KNOWN_ERROR;
    const raw = isCelUint(known.known.value) ? known.known.value.value : known.known.value;
    if (typeof raw === 'bigint' && scalarOf(raw) === undefined) return undefined;
    const value = scalarOf(raw);
    const readable = this.#readable(field);
    if (value === null) {
      // Root fields are null when unset; attributes are never null here (a NULL column is an absent attribute).
      return field.root ? { whenTrue: isNull(field.field), whenFalse: present(field.field) } : { whenTrue: FALSE, whenFalse: readable };
    }
    if (value === undefined) return { whenTrue: FALSE, whenFalse: readable };
    const equal = compare('eq', field.field, value);
    return { whenTrue: equal, whenFalse: and(readable, not(equal)) };
  }

  /** Numeric ordering only (CEL orders strings by code point, which SQL collations do not). Other types: an error. */
  #ordering(op: 'lt' | 'le' | 'gt' | 'ge', left: Term, right: Term): Tri | undefined {
    let actual: 'lt' | 'le' | 'gt' | 'ge' = op;
    let field: Term = left;
    let known: Term = right;
    if (left.t !== 'field') {
      field = right;
      known = left;
      actual = FLIPPED[`_${op}_`];
    }
    if (field.t !== 'field' || known.t !== 'known') return undefined;
    if (known.known.error) return KNOWN_ERROR;
    const value = scalarOf(known.known.value);
    if (typeof value !== 'number') return undefined;
    // A non-number in the column compares with nothing: neither side holds, which is CEL's "no such overload" error.
    return { whenTrue: compare(actual, field.field, value), whenFalse: compare(NEGATED[actual], field.field, value) };
  }

  /** `field in [known list]`: equality with any element. */
  #membership(needle: Term, haystack: Term): Tri | undefined {
    if (needle.t !== 'field' || haystack.t !== 'known') return undefined;
    if (haystack.known.error) return KNOWN_ERROR;
    const items = listOf(haystack.known.value);
    if (items === undefined) return undefined;
    const values: PlanScalar[] = [];
    let nullListed = false;
    for (const item of items) {
      const raw = isCelUint(item) ? item.value : item;
      if (typeof raw === 'bigint' && scalarOf(raw) === undefined) return undefined;
      const value = scalarOf(raw);
      if (value === null) nullListed = true;
      else if (value !== undefined) values.push(value);
    }
    const readable = this.#readable(needle);
    const member = or(oneOf(needle.field, values), nullListed && needle.root ? isNull(needle.field) : FALSE);
    return { whenTrue: member, whenFalse: and(readable, not(member)) };
  }
}
