/**
 * The taint interpreter: walks one module's AST as an abstract interpreter over `Value`s, following untrusted input
 * from framework sources through assignments, calls, objects, classes and closures to the sinks the rules name.
 *
 * Functions are summarised with symbolic parameters (param i → return, → sink, → framework-object call) and call
 * sites substitute their arguments, so a helper in another file is followed through its summary from the previous
 * round. Inline callbacks and route handlers are analysed with their actual arguments (more precise, and they have
 * no other callers). Branches are joined (a sanitizer in one branch only does not clean the value after the `if`);
 * guards that exit (`if (!ALLOWED.includes(x)) return;`) narrow the value on the path that continues.
 */
import type { Finding } from '../types.js';
import { Statements } from './interpreter/statements.js';
import type { ModuleSummary } from './summary.js';

/** One module's taint analysis: the layered interpreter (see interpreter/core.ts) plus the order it runs in. */
export class ModuleAnalyzer extends Statements {
  /** Runs the analysis: the module body, pending handlers, then every function nobody called. */
  run(): { summary: ModuleSummary; findings: Finding[] } {
    const body = this.parsed.ast.program.body;
    this.hoist(body, this.moduleScope);
    this.guarded(() => {
      this.statements(body);
    });
    this.queueFrameworkExports();
    this.drainPending();
    for (let index = 0; index < this.functions.length; index++) {
      const fn = this.functions[index];
      if (fn === undefined || fn.summary !== undefined || fn.handlerModes.size > 0 || this.inlined.has(fn)) continue;
      this.summaryOf(fn);
      this.drainPending();
    }
    const summary = this.buildSummary();
    return { summary, findings: [...this.findings.values()] };
  }
}
