/**
 * Rule sets indexed for the interpreter: sinks and sanitizers by callee name, sources by framework role. Built once
 * per rule set (and per thread), because matching every call against every rule would dominate review time.
 */
import type { VulnerabilityClass } from '../types.js';
import type { ConfigRule, Rule, RuleSet, SanitizerSpec, SinkSpec, SourceSpec, TaintRule } from '../rules/types.js';
import { classBit, classMask } from './classes.js';

export interface CompiledSink {
  readonly rule: TaintRule;
  readonly spec: SinkSpec;
  readonly receiver?: RegExp;
  readonly bit: number;
}

export interface CompiledSanitizer {
  readonly spec: SanitizerSpec;
  readonly receiver?: RegExp;
  readonly pattern?: RegExp;
  readonly mask: number;
}

/** Sources of one framework role, by how they are reached. */
export interface RoleSources {
  readonly properties: Map<string, SourceSpec>;
  readonly methods: Map<string, SourceSpec>;
  readonly events: Map<string, SourceSpec>;
  iterate?: SourceSpec;
  /** Property paths that lead to a source, so `ctx.request` stays the framework object until `.body`. */
  readonly prefixes: Set<string>;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function regex(source: string | undefined): RegExp | undefined {
  return source === undefined ? undefined : new RegExp(source, 'i');
}

/** A source that is the result of a call (`stmt.all()`), matched by method name and receiver text. */
export interface CallSource {
  readonly spec: SourceSpec;
  readonly receiver?: RegExp;
}

export class CompiledRules {
  readonly ruleById = new Map<string, Rule>();
  readonly sinkFunctions = new Map<string, CompiledSink[]>();
  readonly sinkConstructors = new Map<string, CompiledSink[]>();
  readonly sinkMethods = new Map<string, CompiledSink[]>();
  readonly sinkProperties = new Map<string, CompiledSink[]>();
  readonly sinkTags = new Map<string, CompiledSink[]>();
  readonly sanitizerFunctions = new Map<string, CompiledSanitizer[]>();
  readonly sanitizerMethods = new Map<string, CompiledSanitizer[]>();
  readonly sanitizerTags = new Map<string, CompiledSanitizer[]>();
  readonly sources = new Map<string, RoleSources>();
  readonly callSources = new Map<string, CallSource[]>();
  readonly chains = new Map<string, Set<string>>();
  readonly roleMembers = new Map<string, Map<string, string>>();
  /** Method names and properties of framework-object sinks: calls on parameters with these names are summarised. */
  readonly roleSinkMethods = new Set<string>();
  readonly roleSinkProperties = new Set<string>();
  readonly configRules: readonly ConfigRule[];

  constructor(readonly ruleSet: RuleSet) {
    const config: ConfigRule[] = [];
    for (const rule of ruleSet.rules) {
      this.ruleById.set(rule.id, rule);
      if (rule.kind === 'config') {
        config.push(rule);
        continue;
      }
      for (const spec of rule.sinks) this.addSink({ rule, spec, receiver: regex(spec.receiver), bit: classBit(rule.class) });
    }
    this.configRules = config;
    for (const spec of ruleSet.sanitizers) this.addSanitizer(spec);
    for (const spec of ruleSet.sources) this.addSource(spec);
    for (const role of ruleSet.roles) {
      const chain = this.chains.get(role.role) ?? new Set<string>();
      for (const method of role.chain) chain.add(method);
      this.chains.set(role.role, chain);
      const members = this.roleMembers.get(role.role) ?? new Map<string, string>();
      for (const [key, target] of Object.entries(role.members ?? {})) members.set(key, target);
      this.roleMembers.set(role.role, members);
    }
  }

  private addSink(sink: CompiledSink): void {
    const { spec } = sink;
    for (const name of spec.functions ?? []) push(this.sinkFunctions, name, sink);
    for (const name of spec.constructors ?? []) push(this.sinkConstructors, name, sink);
    for (const name of spec.tags ?? []) push(this.sinkTags, name, sink);
    for (const name of spec.methods ?? []) {
      push(this.sinkMethods, name, sink);
      if (spec.role !== undefined) this.roleSinkMethods.add(name);
    }
    if (spec.property !== undefined) {
      push(this.sinkProperties, spec.property, sink);
      if (spec.role !== undefined) this.roleSinkProperties.add(spec.property);
    }
  }

  private addSanitizer(spec: SanitizerSpec): void {
    const compiled: CompiledSanitizer = {
      spec,
      receiver: regex(spec.receiver),
      pattern: regex(spec.pattern),
      mask: classMask(spec.cleans),
    };
    for (const name of spec.functions ?? []) push(this.sanitizerFunctions, name, compiled);
    for (const name of spec.constructors ?? []) push(this.sanitizerFunctions, `new ${name}`, compiled);
    for (const name of spec.methods ?? []) push(this.sanitizerMethods, name, compiled);
    for (const name of spec.tags ?? []) push(this.sanitizerTags, name, compiled);
  }

  private addSource(spec: SourceSpec): void {
    if (spec.call !== undefined) {
      for (const method of spec.call.methods) push(this.callSources, method, { spec, receiver: regex(spec.call.receiver) });
      return;
    }
    let sources = this.sources.get(spec.role);
    if (sources === undefined) {
      sources = { properties: new Map(), methods: new Map(), events: new Map(), prefixes: new Set() };
      this.sources.set(spec.role, sources);
    }
    const path = spec.property ?? spec.method;
    if (spec.property !== undefined) sources.properties.set(spec.property, spec);
    if (spec.method !== undefined) sources.methods.set(spec.method, spec);
    if (spec.event !== undefined) sources.events.set(spec.event, spec);
    if (spec.iterate === true) sources.iterate = spec;
    if (path !== undefined) {
      const parts = path.split('.');
      for (let length = 1; length < parts.length; length++) sources.prefixes.add(parts.slice(0, length).join('.'));
    }
  }

  /** The class bit of a rule. */
  bitOf(ruleClass: VulnerabilityClass): number {
    return classBit(ruleClass);
  }
}

const cache = new WeakMap<RuleSet, CompiledRules>();

/** The compiled form of a rule set, cached per rule set object. */
export function compile(ruleSet: RuleSet): CompiledRules {
  let compiled = cache.get(ruleSet);
  if (compiled === undefined) {
    compiled = new CompiledRules(ruleSet);
    cache.set(ruleSet, compiled);
  }
  return compiled;
}
