/**
 * Lexical scopes and the functions and classes the analysed code defines. Scopes make the analysis scope-aware: a
 * parameter named `req` in a helper shadows nothing and is a symbolic parameter, not "the request".
 */
import type { ClassDeclaration, ClassExpression, Function as FunctionNode, Node } from '@babel/types';
import type { FunctionSummary } from './summary.js';
import type { Value } from './values.js';

export interface Binding {
  value: Value;
  /** How many conditional branches deep the binding was declared: assignments deeper than this are weak updates. */
  readonly depth: number;
  /** A narrowing made by a guard shadows `original`; assignments go to both. */
  readonly original?: Binding;
  /** A `const` holding a condition (`const isLocal = x.startsWith('/') && …`): testing it narrows like the condition. */
  condition?: Node;
}

export class Scope {
  readonly vars = new Map<string, Binding>();

  constructor(
    readonly parent: Scope | undefined,
    readonly isFunction: boolean,
  ) {}

  lookup(name: string): Binding | undefined {
    const own = this.vars.get(name);
    if (own !== undefined) return own;
    for (let scope = this.parent; scope !== undefined; scope = scope.parent) {
      const binding = scope.vars.get(name);
      if (binding !== undefined) return binding;
    }
    return undefined;
  }

  declare(name: string, value: Value, depth: number): Binding {
    const binding: Binding = { value, depth };
    this.vars.set(name, binding);
    return binding;
  }

  /** The nearest function (or module) scope, where `var` lives. */
  functionScope(): Scope {
    if (this.isFunction || this.parent === undefined) return this;
    return this.parent.functionScope();
  }
}

/** A function the module defines: its node, the scope it closes over, and its summary once analysed. */
export interface FunctionInfo {
  readonly node: FunctionNode;
  readonly name: string;
  readonly scope: Scope;
  readonly cls?: ClassInfo;
  readonly isConstructor?: boolean;
  readonly isStatic?: boolean;
  /** `this` where an arrow function was created (arrows have no `this` of their own). */
  readonly lexicalThis?: Value;
  summary?: FunctionSummary;
  analyzing?: boolean;
  /** Analysed as a request handler (its parameters bound to framework objects) for these frameworks. */
  readonly handlerModes: Set<string>;
}

/** A class the module defines. */
export interface ClassInfo {
  readonly node: ClassDeclaration | ClassExpression;
  readonly name: string;
  readonly scope: Scope;
  readonly methods: Map<string, FunctionInfo>;
  readonly statics: Map<string, FunctionInfo>;
  ctor?: FunctionInfo;
  superClass?: Value;
  readonly decorators: readonly string[];
}
