/**
 * Statements: blocks, declarations, branches (joined, with guards narrowing each side and the code after an exiting
 * branch), loops (run twice so late assignments reach early uses), try/switch, and export declarations.
 */
import type * as t from '@babel/types';
import { resolveSpecifier } from '../modules.js';
import { asStrings, CLEAN, deepTaints, isTainted, readTaints, tainted, withStep, type Value } from '../values.js';
import { exits, unwrap } from './syntax.js';
import { Definitions } from './definitions.js';

export abstract class Statements extends Definitions {
  protected override statements(list: readonly t.Statement[]): void {
    for (const statement of list) this.statement(statement);
  }

  protected block(list: readonly t.Statement[]): void {
    this.withScope(() => {
      this.hoist(list, this.scope);
      this.statements(list);
    });
  }

  protected override statement(node: t.Statement): void {
    this.tick();
    switch (node.type) {
      case 'ExpressionStatement':
        this.expr(node.expression);
        return;
      case 'VariableDeclaration':
        this.variableDeclaration(node);
        return;
      case 'ReturnStatement': {
        const value = node.argument === null || node.argument === undefined ? CLEAN : this.expr(node.argument);
        this.frame.returns.push(value);
        const response = isTainted(value) ? this.handlerResponse() : undefined;
        if (response !== undefined) this.checkPropertySink(response, node, '[handler-return]', value, node);
        return;
      }
      case 'IfStatement':
        this.ifStatement(node);
        return;
      case 'BlockStatement':
        this.block(node.body);
        return;
      case 'ForStatement':
        this.withScope(() => {
          if (node.init !== null && node.init !== undefined) {
            if (node.init.type === 'VariableDeclaration') this.variableDeclaration(node.init);
            else this.expr(node.init);
          }
          this.loop(() => {
            if (node.test !== null && node.test !== undefined) this.expr(node.test);
            this.statement(node.body);
            if (node.update !== null && node.update !== undefined) this.expr(node.update);
          });
        });
        return;
      case 'ForInStatement':
      case 'ForOfStatement':
        this.forInOf(node);
        return;
      case 'WhileStatement':
      case 'DoWhileStatement':
        this.loop(() => {
          this.expr(node.test);
          this.statement(node.body);
        });
        return;
      case 'TryStatement':
        this.depth++;
        this.block(node.block.body);
        if (node.handler !== null && node.handler !== undefined) {
          const { handler } = node;
          this.withScope(() => {
            if (handler.param !== null && handler.param !== undefined) this.bindPattern(handler.param, CLEAN, 'let');
            this.block(handler.body.body);
          });
        }
        this.depth--;
        if (node.finalizer !== null && node.finalizer !== undefined) this.block(node.finalizer.body);
        return;
      case 'SwitchStatement':
        this.expr(node.discriminant);
        this.depth++;
        this.withScope(() => {
          for (const switchCase of node.cases) {
            if (switchCase.test !== null && switchCase.test !== undefined) this.expr(switchCase.test);
            this.hoist(switchCase.consequent, this.scope);
            this.statements(switchCase.consequent);
          }
        });
        this.depth--;
        return;
      case 'ThrowStatement':
        this.expr(node.argument);
        return;
      case 'LabeledStatement':
        this.statement(node.body);
        return;
      case 'FunctionDeclaration':
        return;
      case 'ClassDeclaration':
        return;
      case 'ExportNamedDeclaration':
        this.exportNamed(node);
        return;
      case 'ExportDefaultDeclaration':
        this.exportDefault(node);
        return;
      case 'ExportAllDeclaration': {
        const resolved = resolveSpecifier(this.file, node.source.value, this.files);
        if (resolved !== undefined) {
          this.deps.add(resolved);
          this.stars.push(resolved);
        }
        return;
      }
      case 'TSExportAssignment':
        this.cjsDefault = this.expr(node.expression);
        return;
      case 'TSModuleDeclaration':
        if (node.body.type === 'TSModuleBlock') this.block(node.body.body);
        return;
      case 'TSEnumDeclaration':
        this.declare(node.id.name, CLEAN, 'const');
        return;
      default:
        return;
    }
  }

  protected loop(body: () => void): void {
    this.depth++;
    // Twice, so values assigned late in one iteration reach uses early in the next.
    body();
    body();
    this.depth--;
  }

  protected forInOf(node: t.ForInStatement | t.ForOfStatement): void {
    const right = this.expr(node.right);
    let item: Value;
    if (node.type === 'ForInStatement') {
      item = tainted(asStrings(readTaints(deepTaints(right), '[key]')));
    } else {
      item = this.elementOf(right);
    }
    this.loop(() => {
      this.withScope(() => {
        const left = node.left;
        if (left.type === 'VariableDeclaration') {
          const declarator = left.declarations[0];
          if (declarator !== undefined) this.bindPattern(declarator.id, item, left.kind === 'var' ? 'var' : 'let');
        } else {
          this.assign(left, item);
        }
        this.statement(node.body);
      });
    });
  }

  protected variableDeclaration(node: t.VariableDeclaration): void {
    const kind = node.kind === 'var' ? 'var' : node.kind === 'const' ? 'const' : 'let';
    for (const declarator of node.declarations) {
      let value = declarator.init === null || declarator.init === undefined ? CLEAN : this.expr(declarator.init);
      if (declarator.id.type === 'Identifier' && value.taints.length > 0) {
        value = { ...value, taints: withStep(value.taints, this.step(declarator, `assigned to ${declarator.id.name}`)) };
      }
      this.bindPattern(declarator.id, value, kind);
      const init = declarator.init === null || declarator.init === undefined ? undefined : unwrap(declarator.init);
      if (kind === 'const' && declarator.id.type === 'Identifier' && init !== undefined && ['LogicalExpression', 'BinaryExpression', 'CallExpression', 'UnaryExpression'].includes(init.type)) {
        const binding = this.scope.vars.get(declarator.id.name);
        if (binding !== undefined) binding.condition = init;
      }
    }
  }

  protected ifStatement(node: t.IfStatement): void {
    this.expr(node.test);
    const whenTrue = this.narrowings(node.test, true);
    const whenFalse = this.narrowings(node.test, false);
    this.depth++;
    this.withScope(() => {
      this.applyNarrowings(whenTrue);
      this.statement(node.consequent);
    });
    if (node.alternate !== null && node.alternate !== undefined) {
      const alternate = node.alternate;
      this.withScope(() => {
        this.applyNarrowings(whenFalse);
        this.statement(alternate);
      });
    }
    this.depth--;
    const consequentExits = exits(node.consequent);
    const alternateExits = exits(node.alternate);
    if (consequentExits && !alternateExits) this.applyNarrowings(whenFalse);
    else if (alternateExits && !consequentExits) this.applyNarrowings(whenTrue);
  }
}
