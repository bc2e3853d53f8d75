/**
 * Linking modules: imports and requires (reviewed files become references to their summaries, packages become
 * module references rules can name), and exports (what this module's summary offers its importers).
 */
import type * as t from '@babel/types';
import { frameworkOfModule } from '../frameworks.js';
import { Scope } from '../functions.js';
import { isRelativeSpecifier, normalizeModule, resolveSpecifier } from '../modules.js';
import type { ExportEntry, ModuleSummary } from '../summary.js';
import { CLEAN, isTainted, objectValue, tainted, type Value } from '../values.js';
import { literalString, patternNames } from './syntax.js';
import { SummaryApplication } from './summaries.js';

export abstract class ModuleLinking extends SummaryApplication {
  protected hoist(statements: readonly t.Statement[], scope: Scope): void {
    for (const statement of statements) {
      let node: t.Node = statement;
      if ((node.type === 'ExportNamedDeclaration' || node.type === 'ExportDefaultDeclaration') && node.declaration !== null && node.declaration !== undefined) {
        node = node.declaration;
      }
      if (node.type === 'FunctionDeclaration' && node.id !== null && node.id !== undefined) {
        scope.declare(node.id.name, this.makeFunction(node, node.id.name, scope), this.depth);
      } else if (node.type === 'ImportDeclaration') {
        this.importDeclaration(node);
      } else if (node.type === 'ClassDeclaration' && node.id !== null && node.id !== undefined) {
        scope.declare(node.id.name, this.makeClass(node, node.id.name, scope), this.depth);
      }
    }
  }

  protected importDeclaration(node: t.ImportDeclaration): void {
    const source = node.source.value;
    const resolved = resolveSpecifier(this.file, source, this.files);
    if (resolved !== undefined) this.deps.add(resolved);
    const external = isRelativeSpecifier(source) ? undefined : normalizeModule(source);
    if (external !== undefined) {
      const framework = frameworkOfModule(external.module);
      if (framework !== undefined && node.importKind !== 'type') this.frameworks.add(framework);
    }
    for (const specifier of node.specifiers) {
      const imported =
        specifier.type === 'ImportDefaultSpecifier'
          ? 'default'
          : specifier.type === 'ImportNamespaceSpecifier'
            ? '*'
            : specifier.imported.type === 'Identifier'
              ? specifier.imported.name
              : specifier.imported.value;
      const local = specifier.local.name;
      let value: Value;
      if (resolved !== undefined) {
        value = { taints: [], ref: { kind: 'local-module', file: resolved, path: [imported] } };
      } else if (external !== undefined) {
        this.externalImports.set(local, { module: external.module, imported });
        const path = imported === 'default' || imported === '*' ? external.path : [...external.path, imported];
        value = { taints: [], ref: { kind: 'module', module: external.module, path } };
      } else {
        // A file outside the review: the name still says what it is (`escapeFilterValue`, a `Project` model class).
        value = { taints: [], ref: { kind: 'unresolved', name: imported } };
      }
      this.moduleScope.declare(local, value, 0);
    }
  }

  protected requireValue(arg: t.Node | undefined): Value {
    const specifier = literalString(arg);
    if (specifier === undefined) return CLEAN;
    const resolved = resolveSpecifier(this.file, specifier, this.files);
    if (resolved !== undefined) {
      this.deps.add(resolved);
      return { taints: [], ref: { kind: 'local-module', file: resolved, path: [] } };
    }
    if (isRelativeSpecifier(specifier)) return { taints: [], ref: { kind: 'unresolved', name: 'default' } };
    const external = normalizeModule(specifier);
    const framework = frameworkOfModule(external.module);
    if (framework !== undefined) this.frameworks.add(framework);
    return { taints: [], ref: { kind: 'module', module: external.module, path: external.path } };
  }

  /** Turns a reference to another reviewed file's export into what its summary says it is. */
  protected materialize(value: Value): Value {
    const ref = value.ref;
    if (ref?.kind !== 'local-module') return value;
    const summary = this.imported.get(ref.file);
    if (summary === undefined) return value;
    const [head, ...rest] = ref.path;
    let entry: ExportEntry | undefined;
    if (head === undefined) entry = summary.exports.default ?? this.namespaceEntry(summary);
    else if (head === '*') entry = this.namespaceEntry(summary);
    else if (head === 'default') entry = this.resolveExport(ref.file, 'default', 0) ?? this.namespaceEntry(summary);
    else entry = this.resolveExport(ref.file, head, 0);
    let file = ref.file;
    let name = head ?? 'default';
    for (const member of head === '*' ? rest : rest) {
      if (entry?.kind === 'object') {
        entry = entry.members[member];
        name = member;
      } else if (entry?.kind === 'reexport' && entry.file !== undefined) {
        file = entry.file;
        entry = this.resolveExport(entry.file, entry.name, 0);
      } else {
        return { taints: [], ref: { kind: 'local-module', file: ref.file, path: ref.path } };
      }
    }
    return entry === undefined ? value : this.entryValue(entry, name, file);
  }

  protected namespaceEntry(summary: ModuleSummary): ExportEntry {
    const members: Record<string, ExportEntry> = {};
    for (const star of summary.stars) {
      const starred = this.imported.get(star);
      if (starred !== undefined) Object.assign(members, (this.namespaceEntry(starred) as { members: Record<string, ExportEntry> }).members);
    }
    for (const [key, entry] of Object.entries(summary.exports)) members[key] = entry;
    return { kind: 'object', members };
  }

  protected resolveExport(file: string, name: string, hops: number): ExportEntry | undefined {
    if (hops > 8) return undefined;
    const summary = this.imported.get(file);
    if (summary === undefined) return undefined;
    const entry = summary.exports[name];
    if (entry?.kind === 'reexport') {
      if (entry.file !== undefined) return this.resolveExport(entry.file, entry.name, hops + 1);
      return entry;
    }
    if (entry !== undefined) return entry;
    for (const star of summary.stars) {
      const found = this.resolveExport(star, name, hops + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  protected entryValue(entry: ExportEntry, name: string, file: string, depth = 0): Value {
    switch (entry.kind) {
      case 'function':
        return { taints: [], ref: { kind: 'summary-function', summary: entry.summary, name, file } };
      case 'class':
        return { taints: [], ref: { kind: 'summary-class', summary: entry.summary, name, file } };
      case 'instance':
        return { taints: [], ref: { kind: 'summary-instance', summary: entry.summary, name: entry.name, file } };
      case 'value':
        return entry.module === undefined ? tainted(entry.taints) : { taints: entry.taints, ref: { kind: 'module', module: entry.module.module, path: entry.module.path } };
      case 'reexport':
        return entry.module === undefined ? CLEAN : { taints: [], ref: { kind: 'module', module: entry.module, path: entry.name === 'default' || entry.name === '*' ? [] : [entry.name] } };
      case 'object': {
        if (depth > 3) return CLEAN;
        const props = new Map<string, Value>();
        for (const [key, member] of Object.entries(entry.members)) props.set(key, this.entryValue(member, key, file, depth + 1));
        return objectValue(props);
      }
    }
  }

  protected exportNamed(node: t.ExportNamedDeclaration): void {
    const declaration = node.declaration;
    if (declaration !== null && declaration !== undefined) {
      this.statement(declaration);
      if (declaration.type === 'VariableDeclaration') {
        for (const declarator of declaration.declarations) for (const name of patternNames(declarator.id)) this.exportLocals.set(name, name);
      } else if ((declaration.type === 'FunctionDeclaration' || declaration.type === 'ClassDeclaration') && declaration.id !== null && declaration.id !== undefined) {
        this.exportLocals.set(declaration.id.name, declaration.id.name);
      } else if (declaration.type === 'TSEnumDeclaration') {
        this.exportLocals.set(declaration.id.name, declaration.id.name);
      }
      return;
    }
    const source = node.source?.value;
    const resolved = source === undefined ? undefined : resolveSpecifier(this.file, source, this.files);
    if (resolved !== undefined) this.deps.add(resolved);
    for (const specifier of node.specifiers) {
      const exported = specifier.exported.type === 'Identifier' ? specifier.exported.name : specifier.exported.value;
      if (specifier.type === 'ExportSpecifier') {
        const local = specifier.local.name;
        if (source === undefined) this.exportLocals.set(exported, local);
        else if (resolved !== undefined) this.exportEntries.set(exported, { kind: 'reexport', file: resolved, name: local });
        else if (!isRelativeSpecifier(source)) this.exportEntries.set(exported, { kind: 'reexport', module: normalizeModule(source).module, name: local });
      } else if (specifier.type === 'ExportNamespaceSpecifier' && resolved !== undefined) {
        this.exportEntries.set(exported, { kind: 'reexport', file: resolved, name: '*' });
      }
    }
  }

  protected exportDefault(node: t.ExportDefaultDeclaration): void {
    const declaration = node.declaration;
    if ((declaration.type === 'FunctionDeclaration' || declaration.type === 'ClassDeclaration') && declaration.id !== null && declaration.id !== undefined) {
      this.exportLocals.set('default', declaration.id.name);
      return;
    }
    if (declaration.type === 'FunctionDeclaration') {
      this.exportValues.set('default', this.makeFunction(declaration, 'default', this.scope));
      return;
    }
    if (declaration.type === 'ClassDeclaration') {
      this.exportValues.set('default', this.makeClass(declaration, 'default', this.scope));
      return;
    }
    if (declaration.type === 'TSDeclareFunction') return;
    this.exportValues.set('default', this.expr(declaration));
  }

  protected buildSummary(): ModuleSummary {
    const exports: Record<string, ExportEntry> = {};
    const add = (name: string, value: Value): void => {
      const entry = this.entryFor(value, 0);
      if (entry !== undefined) exports[name] = entry;
    };
    for (const [exported, local] of this.exportLocals) {
      const value = this.moduleScope.lookup(local)?.value;
      if (value !== undefined) add(exported, value);
    }
    for (const [exported, value] of this.exportValues) add(exported, value);
    for (const [exported, entry] of this.exportEntries) exports[exported] = entry;
    if (this.cjsDefault !== undefined) {
      add('default', this.cjsDefault);
      for (const [key, value] of this.cjsDefault.props ?? []) if (exports[key] === undefined) add(key, value);
    }
    return { exports, stars: this.stars, deps: [...this.deps].sort() };
  }

  protected entryFor(value: Value, depth: number): ExportEntry | undefined {
    const ref = value.ref;
    switch (ref?.kind) {
      case 'function':
        return { kind: 'function', summary: this.summaryOf(ref.fn) };
      case 'class':
        return { kind: 'class', summary: this.classSummary(ref.cls) };
      case 'instance':
        return { kind: 'instance', summary: this.classSummary(ref.cls), name: ref.cls.name };
      case 'summary-function':
        return { kind: 'function', summary: ref.summary };
      case 'summary-class':
        return { kind: 'class', summary: ref.summary };
      case 'summary-instance':
        return { kind: 'instance', summary: ref.summary, name: ref.name };
      case 'local-module':
        return { kind: 'reexport', file: ref.file, name: ref.path[0] ?? 'default' };
      case 'module':
        return { kind: 'value', taints: value.taints, module: { module: ref.module, path: ref.path } };
      default:
        break;
    }
    if (value.props !== undefined && value.props.size > 0 && depth < 3) {
      const members: Record<string, ExportEntry> = {};
      for (const [key, member] of value.props) {
        const entry = this.entryFor(member, depth + 1);
        if (entry !== undefined) members[key] = entry;
      }
      return { kind: 'object', members };
    }
    if (isTainted(value)) return { kind: 'value', taints: value.taints };
    return undefined;
  }
}
