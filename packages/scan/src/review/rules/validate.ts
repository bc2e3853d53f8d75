/**
 * Hand-written validation of rule packs. A pack is data that users may write, so every field is checked before the
 * engine trusts it: a bad regular expression or a misspelt class would otherwise silently disable a rule (a missed
 * vulnerability) or crash a review. Errors name the file and the path inside the YAML.
 */
import { VULNERABILITY_CLASSES, SEVERITIES, type Confidence, type VulnerabilityClass } from '../types.js';
import type {
  ArgumentSelector,
  CallCondition,
  CalleePattern,
  ConfigMatch,
  ConfigRule,
  MatcherName,
  OptionCondition,
  RoleSpec,
  Rule,
  SanitizerSpec,
  SinkSpec,
  SourceSpec,
  TaintRule,
  TaintShape,
} from './types.js';

/** A rule pack that cannot be used, with where the problem is. */
export class RulePackError extends Error {
  override readonly name = 'RulePackError';
  constructor(
    readonly file: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${file}: ${path === '' ? '' : `${path}: `}${reason}`);
  }
}

/** The parts of a pack after validation. */
export interface ValidPack {
  readonly rules: readonly Rule[];
  readonly sources: readonly SourceSpec[];
  readonly sanitizers: readonly SanitizerSpec[];
  readonly roles: readonly RoleSpec[];
}

const CONFIDENCES: readonly Confidence[] = ['low', 'medium', 'high'];
const SHAPES: readonly TaintShape[] = ['object', 'any', 'string'];
const MATCHERS: readonly MatcherName[] = [
  'hardcoded-secret',
  'weak-password-hash',
  'insecure-randomness',
  'jwt-decode-authorization',
  'cors-reflected-origin',
  'forwarded-for-client-address',
  'jwt-none-accepted',
  'redos-literal',
];
const OPTION_TESTS = ['truthy', 'falsy', 'present', 'absent', 'contains', 'matches'] as const;

type Data = Readonly<Record<string, unknown>>;

class Checker {
  constructor(readonly file: string) {}

  fail(path: string, reason: string): never {
    throw new RulePackError(this.file, path, reason);
  }

  object(value: unknown, path: string, allowed: readonly string[]): Data {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'must be a mapping');
    const data = value as Data;
    for (const key of Object.keys(data)) {
      if (!allowed.includes(key)) this.fail(path, `unknown key "${key}" (allowed: ${allowed.join(', ')})`);
    }
    return data;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string' || value.trim() === '') this.fail(path, 'must be a non-empty string');
    return value;
  }

  optionalString(value: unknown, path: string): string | undefined {
    return value === undefined ? undefined : this.string(value, path);
  }

  regex(value: unknown, path: string): string | undefined {
    const source = this.optionalString(value, path);
    if (source === undefined) return undefined;
    try {
      new RegExp(source, 'i');
    } catch (error) {
      this.fail(path, `invalid regular expression: ${(error as Error).message}`);
    }
    return source;
  }

  strings(value: unknown, path: string): readonly string[] | undefined {
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length === 0) this.fail(path, 'must be a non-empty list of strings');
    return value.map((item, index) => this.string(item, `${path}[${index}]`));
  }

  list(value: unknown, path: string): readonly unknown[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) this.fail(path, 'must be a list');
    return value as readonly unknown[];
  }

  oneOf<T extends string>(value: unknown, path: string, options: readonly T[]): T {
    if (typeof value !== 'string' || !options.includes(value as T)) this.fail(path, `must be one of ${options.join(', ')}`);
    return value as T;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') this.fail(path, 'must be true or false');
    return value;
  }

  literal(value: unknown, path: string): string | number | boolean {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      this.fail(path, 'must be a string, number or boolean');
    }
    return value;
  }

  selector(value: unknown, path: string): ArgumentSelector {
    if (value === 'last' || value === 'all') return value;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
    return this.fail(path, 'must be an argument index, "last" or "all"');
  }
}

const CALLEE_KEYS = ['functions', 'constructors', 'methods', 'receiver', 'modules', 'role', 'property', 'tags'] as const;

function callee(check: Checker, data: Data, path: string): CalleePattern {
  const pattern: CalleePattern = {
    functions: check.strings(data.functions, `${path}.functions`),
    constructors: check.strings(data.constructors, `${path}.constructors`),
    methods: check.strings(data.methods, `${path}.methods`),
    receiver: check.regex(data.receiver, `${path}.receiver`),
    modules: check.strings(data.modules, `${path}.modules`),
    role: check.optionalString(data.role, `${path}.role`),
    property: check.optionalString(data.property, `${path}.property`),
    tags: check.strings(data.tags, `${path}.tags`),
  };
  const kinds = [pattern.functions, pattern.constructors, pattern.methods, pattern.property, pattern.tags].filter(
    (part) => part !== undefined,
  );
  if (kinds.length !== 1) check.fail(path, 'needs exactly one of functions, constructors, methods, property, tags');
  return stripUndefined(pattern);
}

function option(check: Checker, value: unknown, path: string): OptionCondition {
  const data = check.object(value, path, ['arg', 'key', 'is', 'value']);
  const is = check.oneOf(data.is, `${path}.is`, OPTION_TESTS);
  return stripUndefined({
    arg: check.selector(data.arg, `${path}.arg`),
    key: check.string(data.key, `${path}.key`),
    is,
    value: is === 'matches' ? (check.regex(data.value, `${path}.value`) ?? check.fail(`${path}.value`, 'is required')) : check.optionalString(data.value, `${path}.value`),
  });
}

function receiverOption(check: Checker, value: unknown, path: string): Omit<OptionCondition, 'arg'> {
  const data = check.object(value, path, ['key', 'is', 'value']);
  return stripUndefined({
    key: check.string(data.key, `${path}.key`),
    is: check.oneOf(data.is, `${path}.is`, OPTION_TESTS),
    value: check.optionalString(data.value, `${path}.value`),
  });
}

function argTest(check: Checker, value: unknown, path: string): { arg: number; matches: string } {
  const data = check.object(value, path, ['arg', 'matches']);
  const arg = check.selector(data.arg, `${path}.arg`);
  if (typeof arg !== 'number') check.fail(`${path}.arg`, 'must be an argument index');
  return { arg, matches: check.regex(data.matches, `${path}.matches`) ?? check.fail(`${path}.matches`, 'is required') };
}

function receiverCall(check: Checker, value: unknown, path: string): { matches: string } {
  const data = check.object(value, path, ['matches']);
  return { matches: check.regex(data.matches, `${path}.matches`) ?? check.fail(`${path}.matches`, 'is required') };
}

function conditions(check: Checker, value: unknown, path: string): readonly CallCondition[] | undefined {
  if (value === undefined) return undefined;
  return check.list(value, path).map((item, index) => {
    const at = `${path}[${index}]`;
    const data = check.object(item, at, ['option', 'receiverOption', 'argLiteral', 'argText', 'minArgs', 'context', 'receiverCall']);
    if (data.minArgs !== undefined && (typeof data.minArgs !== 'number' || data.minArgs < 0)) {
      check.fail(`${at}.minArgs`, 'must be a non-negative number');
    }
    return stripUndefined({
      option: data.option === undefined ? undefined : option(check, data.option, `${at}.option`),
      receiverOption: data.receiverOption === undefined ? undefined : receiverOption(check, data.receiverOption, `${at}.receiverOption`),
      argLiteral: data.argLiteral === undefined ? undefined : argTest(check, data.argLiteral, `${at}.argLiteral`),
      argText: data.argText === undefined ? undefined : argTest(check, data.argText, `${at}.argText`),
      minArgs: data.minArgs,
      receiverCall: data.receiverCall === undefined ? undefined : receiverCall(check, data.receiverCall, `${at}.receiverCall`),
      context: data.context === undefined ? undefined : check.oneOf(data.context, `${at}.context`, ['html'] as const),
    });
  });
}

function sink(check: Checker, value: unknown, path: string): SinkSpec {
  const data = check.object(value, path, [
    ...CALLEE_KEYS,
    'args',
    'argProperty',
    'argPropertyOnly',
    'deep',
    'shapes',
    'when',
    'unless',
    'label',
  ]);
  const pattern = callee(check, data, path);
  const args = data.args === undefined ? undefined : check.list(data.args, `${path}.args`).map((item, index) => check.selector(item, `${path}.args[${index}]`));
  if (pattern.property === undefined && pattern.tags === undefined && (args === undefined || args.length === 0)) {
    check.fail(`${path}.args`, 'a call sink needs args');
  }
  return stripUndefined({
    ...pattern,
    args,
    argProperty: check.optionalString(data.argProperty, `${path}.argProperty`),
    argPropertyOnly: check.boolean(data.argPropertyOnly, `${path}.argPropertyOnly`),
    deep: check.boolean(data.deep, `${path}.deep`),
    shapes: data.shapes === undefined ? undefined : check.list(data.shapes, `${path}.shapes`).map((item, index) => check.oneOf(item, `${path}.shapes[${index}]`, SHAPES)),
    when: conditions(check, data.when, `${path}.when`),
    unless: conditions(check, data.unless, `${path}.unless`),
    label: check.optionalString(data.label, `${path}.label`),
  });
}

function configMatch(check: Checker, value: unknown, path: string): ConfigMatch {
  const data = check.object(value, path, ['call', 'when', 'unless', 'whenAny', 'property', 'assign', 'matcher', 'options']);
  const parts = [data.call, data.property, data.assign, data.matcher].filter((part) => part !== undefined);
  if (parts.length !== 1) check.fail(path, 'needs exactly one of call, property, assign, matcher');
  let property: ConfigMatch['property'];
  if (data.property !== undefined) {
    const entry = check.object(data.property, `${path}.property`, ['key', 'value', 'unlessSibling']);
    property = { key: check.string(entry.key, `${path}.property.key`), value: check.literal(entry.value, `${path}.property.value`) };
    if (entry.unlessSibling !== undefined) {
      const sibling = check.object(entry.unlessSibling, `${path}.property.unlessSibling`, ['key', 'value']);
      property = { ...property, unlessSibling: { key: check.string(sibling.key, `${path}.property.unlessSibling.key`), value: check.literal(sibling.value, `${path}.property.unlessSibling.value`) } };
    }
  }
  let assign: ConfigMatch['assign'];
  if (data.assign !== undefined) {
    const entry = check.object(data.assign, `${path}.assign`, ['target', 'value', 'unlessAssigned']);
    assign = stripUndefined({
      target: check.regex(entry.target, `${path}.assign.target`) ?? check.fail(`${path}.assign.target`, 'is required'),
      value: check.literal(entry.value, `${path}.assign.value`),
      unlessAssigned: check.regex(entry.unlessAssigned, `${path}.assign.unlessAssigned`),
    });
  }
  let options: ConfigMatch['options'];
  if (data.options !== undefined) {
    const entries = check.object(data.options, `${path}.options`, Object.keys(data.options as object));
    const result: Record<string, string | number | boolean | readonly string[]> = {};
    for (const [key, item] of Object.entries(entries)) {
      result[key] = Array.isArray(item)
        ? (check.strings(item, `${path}.options.${key}`) ?? [])
        : check.literal(item, `${path}.options.${key}`);
    }
    options = result;
  }
  return stripUndefined({
    call: data.call === undefined ? undefined : callee(check, check.object(data.call, `${path}.call`, CALLEE_KEYS), `${path}.call`),
    when: conditions(check, data.when, `${path}.when`),
    unless: conditions(check, data.unless, `${path}.unless`),
    whenAny: conditions(check, data.whenAny, `${path}.whenAny`),
    property,
    assign,
    matcher: data.matcher === undefined ? undefined : check.oneOf(data.matcher, `${path}.matcher`, MATCHERS),
    options,
  });
}

const RULE_KEYS = ['id', 'class', 'cwe', 'owasp', 'severity', 'confidence', 'message', 'fix', 'examples', 'sinks', 'match'];

function rule(check: Checker, value: unknown, path: string, pack: string): Rule {
  const data = check.object(value, path, RULE_KEYS);
  const id = check.string(data.id, `${path}.id`);
  const ruleClass = check.oneOf(data.class, `${path}.class`, VULNERABILITY_CLASSES);
  if (!id.startsWith(`${ruleClass}/`)) check.fail(`${path}.id`, `must be "${ruleClass}/<name>"`);
  const cwe = check.string(data.cwe, `${path}.cwe`);
  if (!/^CWE-\d+$/.test(cwe)) check.fail(`${path}.cwe`, 'must look like CWE-89');
  const examples = check.object(data.examples, `${path}.examples`, ['vulnerable', 'safe']);
  const base = {
    id,
    class: ruleClass,
    cwe,
    owasp: check.string(data.owasp, `${path}.owasp`),
    severity: check.oneOf(data.severity, `${path}.severity`, SEVERITIES),
    confidence: check.oneOf(data.confidence, `${path}.confidence`, CONFIDENCES),
    message: check.string(data.message, `${path}.message`),
    fix: check.string(data.fix, `${path}.fix`),
    examples: {
      vulnerable: check.strings(examples.vulnerable, `${path}.examples.vulnerable`) ?? check.fail(`${path}.examples.vulnerable`, 'is required'),
      safe: check.strings(examples.safe, `${path}.examples.safe`) ?? check.fail(`${path}.examples.safe`, 'is required'),
    },
    pack,
  };
  if ((data.sinks === undefined) === (data.match === undefined)) check.fail(path, 'needs exactly one of sinks (taint rule) or match (configuration rule)');
  if (data.sinks !== undefined) {
    const sinks = check.list(data.sinks, `${path}.sinks`).map((item, index) => sink(check, item, `${path}.sinks[${index}]`));
    if (sinks.length === 0) check.fail(`${path}.sinks`, 'must not be empty');
    const taintRule: TaintRule = { ...base, kind: 'taint', sinks };
    return taintRule;
  }
  const configRule: ConfigRule = { ...base, kind: 'config', match: configMatch(check, data.match, `${path}.match`) };
  return configRule;
}

function source(check: Checker, value: unknown, path: string): SourceSpec {
  const data = check.object(value, path, ['role', 'property', 'method', 'event', 'iterate', 'call', 'async', 'kind', 'shape', 'confidence', 'validated', 'safeFor', 'onlyFor', 'label']);
  let call: SourceSpec['call'];
  if (data.call !== undefined) {
    const entry = check.object(data.call, `${path}.call`, ['methods', 'receiver']);
    call = stripUndefined({
      methods: check.strings(entry.methods, `${path}.call.methods`) ?? check.fail(`${path}.call.methods`, 'is required'),
      receiver: check.regex(entry.receiver, `${path}.call.receiver`),
    });
  }
  const spec: SourceSpec = stripUndefined({
    role: check.string(data.role, `${path}.role`),
    property: check.optionalString(data.property, `${path}.property`),
    method: check.optionalString(data.method, `${path}.method`),
    event: check.optionalString(data.event, `${path}.event`),
    iterate: check.boolean(data.iterate, `${path}.iterate`),
    call,
    async: check.boolean(data.async, `${path}.async`),
    kind: check.string(data.kind, `${path}.kind`),
    shape: data.shape === undefined ? 'any' : check.oneOf(data.shape, `${path}.shape`, SHAPES),
    confidence: data.confidence === undefined ? 'high' : check.oneOf(data.confidence, `${path}.confidence`, CONFIDENCES),
    validated: check.boolean(data.validated, `${path}.validated`),
    safeFor:
      data.safeFor === undefined
        ? undefined
        : check.list(data.safeFor, `${path}.safeFor`).map((item, index) => check.oneOf(item, `${path}.safeFor[${index}]`, VULNERABILITY_CLASSES as readonly VulnerabilityClass[])),
    onlyFor:
      data.onlyFor === undefined
        ? undefined
        : check.list(data.onlyFor, `${path}.onlyFor`).map((item, index) => check.oneOf(item, `${path}.onlyFor[${index}]`, VULNERABILITY_CLASSES as readonly VulnerabilityClass[])),
    label: check.string(data.label, `${path}.label`),
  });
  const ways = [spec.property, spec.method, spec.event, spec.iterate, spec.call].filter((part) => part !== undefined);
  if (ways.length !== 1) check.fail(path, 'needs exactly one of property, method, event, iterate, call');
  return spec;
}

function sanitizer(check: Checker, value: unknown, path: string): SanitizerSpec {
  const data = check.object(value, path, [...CALLEE_KEYS, 'cleans', 'mode', 'pattern', 'arg']);
  const pattern = callee(check, data, path);
  const cleans =
    data.cleans === 'all'
      ? 'all'
      : check.list(data.cleans, `${path}.cleans`).map((item, index) =>
          check.oneOf(item, `${path}.cleans[${index}]`, VULNERABILITY_CLASSES as readonly VulnerabilityClass[]),
        );
  if (cleans !== 'all' && cleans.length === 0) check.fail(`${path}.cleans`, 'must be "all" or a non-empty list of classes');
  let arg: SanitizerSpec['arg'];
  if (data.arg !== undefined) {
    if (data.arg !== 'receiver' && !(typeof data.arg === 'number' && Number.isInteger(data.arg) && data.arg >= 0)) {
      check.fail(`${path}.arg`, 'must be an argument index or "receiver"');
    }
    arg = data.arg;
  }
  return stripUndefined({
    ...pattern,
    cleans,
    mode: data.mode === undefined ? undefined : check.oneOf(data.mode, `${path}.mode`, ['result', 'guard', 'argument'] as const),
    pattern: check.regex(data.pattern, `${path}.pattern`),
    arg,
  });
}

function role(check: Checker, value: unknown, path: string): RoleSpec {
  const data = check.object(value, path, ['role', 'chain', 'members']);
  let members: Record<string, string> | undefined;
  if (data.members !== undefined) {
    const entries = check.object(data.members, `${path}.members`, Object.keys(data.members as object));
    members = {};
    for (const [key, item] of Object.entries(entries)) members[key] = check.string(item, `${path}.members.${key}`);
  }
  return stripUndefined({
    role: check.string(data.role, `${path}.role`),
    chain: check.strings(data.chain, `${path}.chain`) ?? [],
    members,
  });
}

/**
 * Validates one parsed pack document. Throws `RulePackError` naming the file and YAML path of the first problem.
 */
export function validatePack(document: unknown, file: string): ValidPack {
  const check = new Checker(file);
  const data = check.object(document ?? {}, '', ['pack', 'description', 'rules', 'sources', 'sanitizers', 'roles']);
  const pack = data.pack === undefined ? file : check.string(data.pack, 'pack');
  return {
    rules: check.list(data.rules, 'rules').map((item, index) => rule(check, item, `rules[${index}]`, pack)),
    sources: check.list(data.sources, 'sources').map((item, index) => source(check, item, `sources[${index}]`)),
    sanitizers: check.list(data.sanitizers, 'sanitizers').map((item, index) => sanitizer(check, item, `sanitizers[${index}]`)),
    roles: check.list(data.roles, 'roles').map((item, index) => role(check, item, `roles[${index}]`)),
  };
}

/** Drops `undefined` members so loaded data stays minimal and compares structurally. */
function stripUndefined<T extends object>(value: T): T {
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) result[key] = item;
  return result as T;
}
