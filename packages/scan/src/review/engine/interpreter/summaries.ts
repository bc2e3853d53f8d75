/**
 * Function summaries at call sites: a callee's symbolic parameters are replaced by the caller's arguments, so a sink
 * inside a helper (in this file or another) is reported with the caller's source, and framework-object calls recorded on
 * parameters (`res.send(x)` in a helper given `res`) become sinks once the receiver is known.
 */
import type * as t from '@babel/types';
import type { FlowStep } from '../../types.js';
import { classBit } from '../classes.js';
import type { FunctionInfo } from '../functions.js';
import type { ArgSummary, FunctionSummary, ParamCall, SinkHit } from '../summary.js';
import { appendSteps, deepTaints, isTainted, joinAll, objectValue, tainted, unionTaints, type Taint, type Value } from '../values.js';
import type { Frame } from './core.js';
import { SinkChecks } from './sinks.js';

export abstract class SummaryApplication extends SinkChecks {
  /** Replaces a callee's symbolic parameters by the caller's arguments. */
  protected substitute(taints: readonly Taint[], args: readonly Value[], thisValue: Value | undefined, hop: FlowStep | undefined): readonly Taint[] {
    let result: readonly Taint[] = [];
    for (const taint of taints) {
      if (taint.param === undefined) {
        result = unionTaints(result, [taint]);
        continue;
      }
      const base = taint.param === -1 ? thisValue : args[taint.param];
      if (base === undefined) continue;
      const value = this.getPath(base, taint.path ?? []);
      for (const actual of value.taints) {
        const shape = taint.shape === 'string' || actual.shape === 'string' ? 'string' : taint.shape === 'any' || actual.shape === 'any' ? 'any' : 'object';
        const steps = appendSteps(hop === undefined ? actual.steps : appendSteps(actual.steps, [hop]), taint.steps);
        result = unionTaints(result, [{ ...actual, shape, clean: actual.clean | taint.clean, steps }]);
      }
    }
    return result;
  }

  protected applySummary(summary: FunctionSummary, args: readonly Value[], thisValue: Value | undefined, site: t.Node | undefined, name: string, file?: string): Value {
    const hop = site === undefined ? undefined : this.step(site, `passed to ${name}()${file === undefined || file === this.file ? '' : ` in ${file}`}`);
    for (const hit of summary.sinks) {
      const rule = this.rules.ruleById.get(hit.ruleId);
      if (rule === undefined) continue;
      const bit = classBit(rule.class);
      const spec = rule.kind === 'taint' ? rule.sinks : [];
      const shapes = spec.length > 0 && spec.every((item) => item.shapes !== undefined) ? new Set(spec.flatMap((item) => item.shapes ?? [])) : undefined;
      for (const taint of this.substitute([hit.taint], args, thisValue, hop)) {
        if ((taint.clean & bit) !== 0 || (shapes !== undefined && !shapes.has(taint.shape))) continue;
        if (taint.param === undefined) this.emit(hit.ruleId, taint, hit.range, hit.text, hit.label);
        else if (this.frame.summaryMode) this.addSinkHit({ ...hit, taint });
      }
    }
    for (const call of summary.paramCalls) this.applyParamCall(call, args, thisValue, hop);
    const returns = this.substitute(summary.returns, args, thisValue, undefined);
    let result: Value = tainted(returns);
    if (summary.returnProps !== undefined) {
      const props = new Map<string, Value>();
      for (const [key, taints] of Object.entries(summary.returnProps)) props.set(key, tainted(this.substitute(taints, args, thisValue, undefined)));
      result = objectValue(props, returns);
    }
    if (summary.returnModule !== undefined) result = { ...result, ref: { kind: 'module', module: summary.returnModule.module, path: summary.returnModule.path } };
    if (summary.returnHtml === true) result = { ...result, html: true };
    return result;
  }

  protected argFromSummary(arg: ArgSummary, args: readonly Value[], thisValue: Value | undefined, hop: FlowStep | undefined): Value {
    const value: { taints: readonly Taint[]; html?: boolean; literal?: string | number | boolean; props?: Map<string, Value> } = {
      taints: this.substitute(arg.taints, args, thisValue, hop),
    };
    if (arg.html === true) value.html = true;
    if (arg.literal !== undefined) value.literal = arg.literal;
    if (arg.props !== undefined) value.props = new Map(Object.entries(arg.props).map(([key, prop]) => [key, this.argFromSummary(prop, args, thisValue, hop)]));
    return value;
  }

  protected applyParamCall(call: ParamCall, args: readonly Value[], thisValue: Value | undefined, hop: FlowStep | undefined): void {
    const base = call.param === -1 ? thisValue : args[call.param];
    if (base === undefined) return;
    const receiver = this.getPath(base, call.path);
    const callArgs = call.args.map((arg) => this.argFromSummary(arg, args, thisValue, hop));
    if (receiver.ref?.kind === 'role') {
      const sinks = call.method !== undefined ? this.rules.sinkMethods.get(call.method) : this.rules.sinkProperties.get(call.property ?? '');
      for (const sink of sinks ?? []) {
        if (!this.receiverMatches(sink, receiver, undefined)) continue;
        // Conditions on argument text cannot be re-checked from a summary; literal and option conditions can.
        if (!this.conditionsHold(sink, { args: callArgs, argNodes: [], receiver })) continue;
        const selected = call.property !== undefined ? callArgs : this.selectArgs(sink.spec.args ?? [], callArgs);
        const label = sink.spec.label === undefined ? call.text : `${sink.spec.label} of ${call.receiverText}.${call.method ?? call.property ?? ''}`;
        for (const arg of selected) {
          for (const taint of this.dangerous(sink, arg)) {
            if (taint.param === undefined) this.emit(sink.rule.id, taint, call.range, call.text, label);
          }
        }
      }
      return;
    }
    if (!this.frame.summaryMode) return;
    for (const taint of receiver.taints) {
      if (taint.param === undefined) continue;
      this.addParamCall({ ...call, param: taint.param, path: taint.path ?? [], args: callArgs.map((arg) => this.argSummary(arg)) });
      return;
    }
  }

  /** Follows a summary access path (`body`, `get()`, `[]`) on a value. */
  protected getPath(value: Value, path: readonly string[]): Value {
    let current = value;
    for (const segment of path) {
      if (segment.endsWith('()')) current = this.methodResult(current, segment.slice(0, -2), []);
      else if (segment === '[]') current = this.elementOf(current);
      else current = this.getProp(current, segment);
    }
    return current;
  }

  protected summarize(fn: FunctionInfo, frame: Frame): FunctionSummary {
    const returned = joinAll(frame.returns);
    const summary: {
      returns: readonly Taint[];
      sinks: SinkHit[];
      paramCalls: ParamCall[];
      returnProps?: Record<string, readonly Taint[]>;
      returnModule?: { module: string; path: readonly string[] };
      returnHtml?: boolean;
      fields?: Record<string, readonly Taint[]>;
    } = { returns: returned.taints, sinks: frame.sinks, paramCalls: frame.paramCalls };
    if (returned.props !== undefined && returned.props.size > 0) {
      const props: Record<string, readonly Taint[]> = {};
      for (const [key, value] of returned.props) if (isTainted(value) || value.props !== undefined) props[key] = deepTaints(value);
      summary.returnProps = props;
    }
    if (returned.ref?.kind === 'module') summary.returnModule = { module: returned.ref.module, path: returned.ref.path };
    if (returned.html === true) summary.returnHtml = true;
    if (fn.isConstructor === true && frame.thisValue.props !== undefined) {
      const fields: Record<string, readonly Taint[]> = {};
      for (const [key, value] of frame.thisValue.props) if (isTainted(value)) fields[key] = value.taints;
      summary.fields = fields;
    }
    return summary;
  }
}
