/**
 * A small, library-neutral runner for the CEL conformance suite shipped by `@bufbuild/cel-spec` (cel-spec v0.25.1's
 * `simple` tests, extracted to JSON). It runs the tests that need no protobuf message types (no `container`, no
 * `TestAllTypes`) through an adapter per CEL library and counts passes, so the libraries can be compared on the same
 * data (README: "Choosing a CEL library") and the chosen one guarded against regressions (`conformance.test.ts`).
 */
import { celEnv, celUint, isCelError, isCelList, isCelMap, isCelType, isCelUint, parse as bufParse, plan as bufPlan } from '@bufbuild/cel';
import { tests as conformanceData } from '@bufbuild/cel-spec/testdata/conformance.js';
import type { SerializedIncrementalTestSuite } from '@bufbuild/cel-spec/testdata/tests.js';
import { create } from '@bufbuild/protobuf';
import { isReflectMessage } from '@bufbuild/protobuf/reflect';
import { DurationSchema, TimestampSchema } from '@bufbuild/protobuf/wkt';
import { Duration as MarcDuration, Environment, UnsignedInt } from '@marcbachmann/cel-js/evaluator';
import * as chromeCel from 'cel-js';

/** A CEL value in a form every adapter can produce and compare. */
export type NeutralValue =
  | { readonly k: 'int' | 'uint'; readonly v: bigint }
  | { readonly k: 'double'; readonly v: number }
  | { readonly k: 'string'; readonly v: string }
  | { readonly k: 'bytes'; readonly v: Uint8Array }
  | { readonly k: 'bool'; readonly v: boolean }
  | { readonly k: 'null' }
  | { readonly k: 'list'; readonly v: readonly NeutralValue[] }
  | { readonly k: 'map'; readonly v: readonly (readonly [NeutralValue, NeutralValue])[] }
  | { readonly k: 'timestamp' | 'duration'; readonly seconds: bigint; readonly nanos: number }
  | { readonly k: 'type'; readonly v: string };

export interface ConformanceCase {
  readonly suite: string;
  readonly name: string;
  readonly expr: string;
  readonly bindings: Readonly<Record<string, NeutralValue>>;
  readonly expected: { readonly value: NeutralValue } | { readonly error: true };
}

export type AdapterOutcome = { readonly value: NeutralValue | undefined } | { readonly error: true };

export interface CelAdapter {
  readonly name: string;
  /** Evaluates `expr` with `bindings`; an exception or a CEL error value is `{ error: true }`. */
  run(expr: string, bindings: Readonly<Record<string, NeutralValue>>): AdapterOutcome;
  /** `cel-js` has one JS number type for int, uint and double: compare numbers by value only. */
  readonly looseNumbers?: boolean;
}

/** The suites of cel-spec's `simple` tests that exercise the core language without protobuf messages. */
export const CORE_SUITES = [
  'basic',
  'comparisons',
  'conversions',
  'fields',
  'fp_math',
  'integer_math',
  'lists',
  'logic',
  'macros',
  'macros2',
  'parse',
  'plumbing',
  'string',
  'timestamps',
] as const;

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json | undefined };

function isObject(value: unknown): value is Readonly<Record<string, Json | undefined>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const WKT_PREFIX = 'type.googleapis.com/google.protobuf.';

function parseDurationText(text: string): { seconds: bigint; nanos: number } | undefined {
  const match = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(text);
  if (match === null) return undefined;
  const sign = match[1] === '-' ? -1 : 1;
  const seconds = BigInt(match[2] ?? '0') * BigInt(sign);
  const nanos = Number((match[3] ?? '').padEnd(9, '0')) * sign;
  return { seconds, nanos };
}

function parseTimestampText(text: string): { seconds: bigint; nanos: number } | undefined {
  const match = /^(.*?)(?:\.(\d{1,9}))?Z$/.exec(text);
  if (match === null) return undefined;
  const ms = Date.parse(`${match[1] ?? ''}Z`);
  if (Number.isNaN(ms)) return undefined;
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: Number((match[2] ?? '').padEnd(9, '0')) };
}

/** Decodes a `cel.expr.Value` in proto3 JSON form; `undefined` for what needs protobuf messages. */
export function decodeValue(json: Json | undefined): NeutralValue | undefined {
  if (!isObject(json)) return undefined;
  const [key, value] = Object.entries(json)[0] ?? [];
  switch (key) {
    case 'int64Value':
      return typeof value === 'string' || typeof value === 'number' ? { k: 'int', v: BigInt(value) } : undefined;
    case 'uint64Value':
      return typeof value === 'string' || typeof value === 'number' ? { k: 'uint', v: BigInt(value) } : undefined;
    case 'doubleValue':
      return { k: 'double', v: typeof value === 'number' ? value : Number(value) };
    case 'stringValue':
      return typeof value === 'string' ? { k: 'string', v: value } : undefined;
    case 'bytesValue':
      return typeof value === 'string' ? { k: 'bytes', v: new Uint8Array(Buffer.from(value, 'base64')) } : undefined;
    case 'boolValue':
      return typeof value === 'boolean' ? { k: 'bool', v: value } : undefined;
    case 'nullValue':
      return { k: 'null' };
    case 'typeValue':
      return typeof value === 'string' ? { k: 'type', v: value } : undefined;
    case 'listValue': {
      const values = isObject(value) && Array.isArray(value.values) ? (value.values as readonly Json[]) : [];
      const decoded = values.map(decodeValue);
      return decoded.every((item) => item !== undefined) ? { k: 'list', v: decoded } : undefined;
    }
    case 'mapValue': {
      const entries = isObject(value) && Array.isArray(value.entries) ? (value.entries as readonly Json[]) : [];
      const decoded: (readonly [NeutralValue, NeutralValue])[] = [];
      for (const entry of entries) {
        if (!isObject(entry)) return undefined;
        const k = decodeValue(entry.key);
        const v = decodeValue(entry.value);
        if (k === undefined || v === undefined) return undefined;
        decoded.push([k, v]);
      }
      return { k: 'map', v: decoded };
    }
    case 'objectValue': {
      if (!isObject(value) || typeof value.value !== 'string') return undefined;
      if (value['@type'] === `${WKT_PREFIX}Timestamp`) {
        const ts = parseTimestampText(value.value);
        return ts === undefined ? undefined : { k: 'timestamp', ...ts };
      }
      if (value['@type'] === `${WKT_PREFIX}Duration`) {
        const d = parseDurationText(value.value);
        return d === undefined ? undefined : { k: 'duration', ...d };
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function collect(suite: SerializedIncrementalTestSuite, path: string, into: ConformanceCase[]): void {
  for (const test of suite.tests ?? []) {
    const original = test.original as Readonly<Record<string, Json | undefined>>;
    const expr = typeof original.expr === 'string' ? original.expr : '';
    if (original.container !== undefined || original.checkOnly === true) continue;
    if (/TestAllTypes|cel\.expr\.conformance|NestedEnum|GlobalEnum/.test(expr)) continue;
    const bindings: Record<string, NeutralValue> = {};
    let decodable = true;
    if (isObject(original.bindings)) {
      for (const [name, binding] of Object.entries(original.bindings)) {
        const value = isObject(binding) ? decodeValue(binding.value) : undefined;
        if (value === undefined) decodable = false;
        else bindings[name] = value;
      }
    }
    let expected: ConformanceCase['expected'] | undefined;
    if (original.evalError !== undefined) expected = { error: true };
    else if (original.value !== undefined) {
      const value = decodeValue(original.value);
      if (value !== undefined) expected = { value };
    } else if (original.typedResult === undefined) expected = { value: { k: 'bool', v: true } };
    if (!decodable || expected === undefined) continue;
    into.push({ suite: path, name: typeof original.name === 'string' ? original.name : expr, expr, bindings, expected });
  }
  for (const child of suite.suites ?? []) collect(child, `${path}/${child.name}`, into);
}

/** The core conformance cases (see {@link CORE_SUITES}), in suite order. */
export function coreConformanceCases(): readonly ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const suite of conformanceData.suites ?? []) {
    if ((CORE_SUITES as readonly string[]).includes(suite.name)) collect(suite, suite.name, cases);
  }
  return cases;
}

function canonical(value: NeutralValue, looseNumbers: boolean): string {
  switch (value.k) {
    case 'int':
    case 'uint':
      return looseNumbers ? `n:${Number(value.v)}` : `${value.k}:${value.v}`;
    case 'double':
      return looseNumbers ? `n:${value.v}` : `double:${Object.is(value.v, -0) ? 0 : value.v}`;
    case 'string':
      return `s:${JSON.stringify(value.v)}`;
    case 'bytes':
      return `b:${Buffer.from(value.v).toString('hex')}`;
    case 'bool':
      return `bool:${value.v}`;
    case 'null':
      return 'null';
    case 'type':
      return `type:${value.v}`;
    case 'timestamp':
    case 'duration':
      return `${value.k}:${value.seconds}.${value.nanos}`;
    case 'list':
      return `[${value.v.map((item) => canonical(item, looseNumbers)).join(',')}]`;
    case 'map':
      return `{${value.v
        .map(([k, v]) => `${canonical(k, looseNumbers)}=>${canonical(v, looseNumbers)}`)
        .sort()
        .join(',')}}`;
  }
}

export interface ConformanceReport {
  readonly library: string;
  readonly total: number;
  readonly passed: number;
  readonly failedBySuite: Readonly<Record<string, number>>;
  readonly failures: readonly string[];
}

/** Runs every case through `adapter` and counts the ones whose value (or error) matches the expectation. */
export function runConformance(adapter: CelAdapter, cases: readonly ConformanceCase[] = coreConformanceCases()): ConformanceReport {
  let passed = 0;
  const failedBySuite: Record<string, number> = {};
  const failures: string[] = [];
  for (const test of cases) {
    let outcome: AdapterOutcome;
    try {
      outcome = adapter.run(test.expr, test.bindings);
    } catch {
      outcome = { error: true };
    }
    const ok =
      'error' in test.expected
        ? 'error' in outcome
        : 'value' in outcome &&
          outcome.value !== undefined &&
          canonical(outcome.value, adapter.looseNumbers === true) === canonical(test.expected.value, adapter.looseNumbers === true);
    if (ok) passed += 1;
    else {
      const top = test.suite.split('/')[0] ?? test.suite;
      failedBySuite[top] = (failedBySuite[top] ?? 0) + 1;
      failures.push(`${test.suite}/${test.name}`);
    }
  }
  return { library: adapter.name, total: cases.length, passed, failedBySuite, failures };
}

// ---------------------------------------------------------------------------------------------------------------
// @bufbuild/cel

function toBufInput(value: NeutralValue): unknown {
  switch (value.k) {
    case 'int':
      return value.v;
    case 'uint':
      return celUint(value.v);
    case 'double':
    case 'string':
    case 'bytes':
    case 'bool':
      return value.v;
    case 'null':
      return null;
    case 'list':
      return value.v.map(toBufInput);
    case 'map':
      return new Map(value.v.map(([k, v]) => [toBufInput(k), toBufInput(v)]));
    case 'timestamp':
      return create(TimestampSchema, { seconds: value.seconds, nanos: value.nanos });
    case 'duration':
      return create(DurationSchema, { seconds: value.seconds, nanos: value.nanos });
    case 'type':
      return undefined;
  }
}

function fromBufOutput(value: unknown): NeutralValue | undefined {
  if (typeof value === 'bigint') return { k: 'int', v: value };
  if (typeof value === 'number') return { k: 'double', v: value };
  if (typeof value === 'string') return { k: 'string', v: value };
  if (typeof value === 'boolean') return { k: 'bool', v: value };
  if (value === null) return { k: 'null' };
  if (value instanceof Uint8Array) return { k: 'bytes', v: value };
  if (isCelUint(value)) return { k: 'uint', v: value.value };
  if (isCelType(value)) return { k: 'type', v: value.name };
  if (isCelList(value)) {
    const items = [...value].map(fromBufOutput);
    return items.every((item) => item !== undefined) ? { k: 'list', v: items } : undefined;
  }
  if (isCelMap(value)) {
    const entries: (readonly [NeutralValue, NeutralValue])[] = [];
    for (const [k, v] of value) {
      const nk = fromBufOutput(k);
      const nv = fromBufOutput(v);
      if (nk === undefined || nv === undefined) return undefined;
      entries.push([nk, nv]);
    }
    return { k: 'map', v: entries };
  }
  if (isReflectMessage(value)) {
    const typeName = value.desc.typeName;
    const message = value.message as unknown as { seconds: bigint; nanos: number };
    if (typeName === 'google.protobuf.Timestamp') return { k: 'timestamp', seconds: message.seconds, nanos: message.nanos };
    if (typeName === 'google.protobuf.Duration') return { k: 'duration', seconds: message.seconds, nanos: message.nanos };
  }
  return undefined;
}

export const bufbuildAdapter: CelAdapter = {
  name: '@bufbuild/cel',
  run(expr, bindings) {
    const input: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(bindings)) input[name] = toBufInput(value);
    const evaluate = bufPlan(celEnv(), bufParse(expr)) as (ctx: Record<string, unknown>) => unknown;
    const result = evaluate(input);
    return isCelError(result) ? { error: true } : { value: fromBufOutput(result) };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// @marcbachmann/cel-js

const NANOS_PER_MS = 1_000_000;

function toMarcInput(value: NeutralValue): unknown {
  switch (value.k) {
    case 'int':
      return value.v;
    case 'uint':
      return new UnsignedInt(value.v);
    case 'double':
    case 'string':
    case 'bytes':
    case 'bool':
      return value.v;
    case 'null':
      return null;
    case 'list':
      return value.v.map(toMarcInput);
    case 'map':
      return new Map(value.v.map(([k, v]) => [toMarcInput(k), toMarcInput(v)]));
    case 'timestamp':
      return new Date(Number(value.seconds) * 1000 + Math.floor(value.nanos / NANOS_PER_MS));
    case 'duration':
      return new MarcDuration(value.seconds, value.nanos);
    case 'type':
      return undefined;
  }
}

function fromMarcOutput(value: unknown): NeutralValue | undefined {
  if (typeof value === 'bigint') return { k: 'int', v: value };
  if (typeof value === 'number') return { k: 'double', v: value };
  if (typeof value === 'string') return { k: 'string', v: value };
  if (typeof value === 'boolean') return { k: 'bool', v: value };
  if (value === null) return { k: 'null' };
  if (value instanceof Uint8Array) return { k: 'bytes', v: value };
  if (value instanceof UnsignedInt) return { k: 'uint', v: value.value };
  if (value instanceof MarcDuration) return { k: 'duration', seconds: value.seconds, nanos: value.nanos };
  if (value instanceof Date) {
    const ms = value.getTime();
    return { k: 'timestamp', seconds: BigInt(Math.floor(ms / 1000)), nanos: (((ms % 1000) + 1000) % 1000) * NANOS_PER_MS };
  }
  if (Array.isArray(value)) {
    const items = value.map(fromMarcOutput);
    return items.every((item) => item !== undefined) ? { k: 'list', v: items } : undefined;
  }
  const entries: (readonly [NeutralValue, NeutralValue])[] = [];
  if (value instanceof Map) {
    for (const [k, v] of value as Map<unknown, unknown>) {
      const nk = fromMarcOutput(k);
      const nv = fromMarcOutput(v);
      if (nk === undefined || nv === undefined) return undefined;
      entries.push([nk, nv]);
    }
    return { k: 'map', v: entries };
  }
  if (typeof value === 'object') {
    const name = (value as { name?: unknown }).name;
    if (Object.prototype.toString.call(value).startsWith('[object Type<') && typeof name === 'string') return { k: 'type', v: name };
    for (const [k, v] of Object.entries(value)) {
      const nv = fromMarcOutput(v);
      if (nv === undefined) return undefined;
      entries.push([{ k: 'string', v: k }, nv]);
    }
    return { k: 'map', v: entries };
  }
  return undefined;
}

const marcEnvironment = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });

export const marcbachmannAdapter: CelAdapter = {
  name: '@marcbachmann/cel-js',
  run(expr, bindings) {
    const input: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(bindings)) input[name] = toMarcInput(value);
    const evaluate = marcEnvironment.parse(expr) as unknown as (ctx: Record<string, unknown>) => unknown;
    return { value: fromMarcOutput(evaluate(input)) };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// cel-js (ChromeGG)

/** cel-js maps are JS objects: keys are the text of the key value. */
function chromeKey(key: NeutralValue): string {
  switch (key.k) {
    case 'string':
      return key.v;
    case 'int':
    case 'uint':
    case 'double':
    case 'bool':
      return String(key.v);
    default:
      return canonical(key, true);
  }
}

function toChromeInput(value: NeutralValue): unknown {
  switch (value.k) {
    case 'int':
    case 'uint':
      return Number(value.v);
    case 'double':
    case 'string':
    case 'bytes':
    case 'bool':
      return value.v;
    case 'null':
      return null;
    case 'list':
      return value.v.map(toChromeInput);
    case 'map': {
      const object: Record<string, unknown> = {};
      for (const [k, v] of value.v) object[chromeKey(k)] = toChromeInput(v);
      return object;
    }
    case 'timestamp':
      return new Date(Number(value.seconds) * 1000 + Math.floor(value.nanos / NANOS_PER_MS));
    case 'duration':
    case 'type':
      return undefined;
  }
}

function fromChromeOutput(value: unknown): NeutralValue | undefined {
  if (typeof value === 'number') return { k: 'double', v: value };
  if (typeof value === 'bigint') return { k: 'int', v: value };
  if (typeof value === 'string') return { k: 'string', v: value };
  if (typeof value === 'boolean') return { k: 'bool', v: value };
  if (value === null) return { k: 'null' };
  if (value instanceof Uint8Array) return { k: 'bytes', v: value };
  if (Array.isArray(value)) {
    const items = value.map(fromChromeOutput);
    return items.every((item) => item !== undefined) ? { k: 'list', v: items } : undefined;
  }
  if (typeof value === 'object') {
    const entries: (readonly [NeutralValue, NeutralValue])[] = [];
    for (const [k, v] of Object.entries(value)) {
      const nv = fromChromeOutput(v);
      if (nv === undefined) return undefined;
      entries.push([{ k: 'string', v: k }, nv]);
    }
    return { k: 'map', v: entries };
  }
  return undefined;
}

export const chromeCelAdapter: CelAdapter = {
  name: 'cel-js',
  looseNumbers: true,
  run(expr, bindings) {
    const input: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(bindings)) input[name] = toChromeInput(value);
    const parsed = chromeCel.parse(expr);
    if (!parsed.isSuccess) return { error: true };
    return { value: fromChromeOutput(chromeCel.evaluate(parsed.cst, input)) };
  },
};
