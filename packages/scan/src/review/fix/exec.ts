/**
 * OS command injection (CWE-78): `` exec(`convert ${file} out.png`, cb) `` hands one string to `/bin/sh`, so a value
 * holding `; rm -rf ~` runs a second command. The fix runs the program directly — `execFile('convert', [file,
 * 'out.png'], cb)` (`execSync` → `execFileSync`) — so each value is one argument and no shell ever parses it.
 *
 * Only when the literal text is a plain program followed by space-separated words is the rewrite the same command:
 * any character a shell would interpret (quotes, `$`, `` ` ``, `|;&<>`, globs, `~`, `#`, braces, backslashes,
 * newlines) makes it refuse, as does a program name taken from a value, options that ask for a shell, or an
 * `exec` not imported from `child_process`.
 */
import type * as t from '@babel/types';
import { bindingCount, importedBinding, isFunctionLiteral, propertyOf, sourceOf, type ImportedBinding } from './ast.js';
import { insertAt, propose, refuse, replaceNode, type FixAttempt, type FixContext } from './attempt.js';
import { builtString, type StringPart } from './parts.js';
import type { OffsetEdit } from './text.js';

const CHILD_PROCESS = new Set(['child_process', 'node:child_process']);
const REPLACEMENT: Readonly<Record<string, string>> = { exec: 'execFile', execSync: 'execFileSync' };

/** Characters that mean the same to a shell as to execFile: letters, digits and `_-./=:,@+%`. */
const PLAIN = /^[A-Za-z0-9_\-./=:,@+%]$/;

type Word = readonly StringPart[];

/** Splits the command into words at spaces, refusing any character the shell would interpret. */
function words(parts: readonly StringPart[]): Word[] | string {
  const result: StringPart[][] = [];
  let current: StringPart[] = [];
  const flush = (): void => {
    if (current.length > 0) result.push(current);
    current = [];
  };
  for (const part of parts) {
    if (part.kind === 'value') {
      current.push(part);
      continue;
    }
    let text = '';
    for (const char of part.value) {
      if (char === ' ' || char === '\t') {
        if (text !== '') current.push({ kind: 'text', value: text });
        text = '';
        flush();
      } else if (PLAIN.test(char)) {
        text += char;
      } else {
        return `the command text has ${JSON.stringify(char)}, which the shell interprets; only a plain program and words can be rewritten`;
      }
    }
    if (text !== '') current.push({ kind: 'text', value: text });
  }
  flush();
  return result;
}

/** One argument of the array: a plain word, `String(value)`, or a template when a word mixes text and values. */
function argumentText(word: Word, source: string): string {
  const only = word[0];
  if (word.length === 1 && only?.kind === 'text') return `'${only.value}'`;
  // Template literals and `+` turn values into strings; String() keeps that, and execFile accepts only strings.
  if (word.length === 1 && only?.kind === 'value') return `String(${sourceOf(source, only.node)})`;
  return `\`${word.map((part) => (part.kind === 'text' ? part.value : `\${${sourceOf(source, part.node)}}`)).join('')}\``;
}

/** How the callee is reached: `exec(…)` via an import/require binding, or `cp.exec(…)` on the module object. */
type Callee =
  | { readonly kind: 'named'; readonly node: t.Identifier; readonly binding: ImportedBinding; readonly method: string }
  | { readonly kind: 'member'; readonly property: t.Identifier; readonly method: string };

function calleeOf(context: FixContext): Callee | string {
  const { node } = context.call;
  const callee = node.callee;
  if (callee.type === 'Identifier') {
    const binding = importedBinding(context.ast, callee.name);
    if (binding === undefined || !CHILD_PROCESS.has(binding.module)) return `${callee.name} is not imported from child_process in this file`;
    if (REPLACEMENT[binding.imported] === undefined) return `${binding.imported}() has no execFile counterpart`;
    return { kind: 'named', node: callee, binding, method: binding.imported };
  }
  if ((callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') && !callee.computed && callee.property.type === 'Identifier') {
    const method = callee.property.name;
    if (REPLACEMENT[method] === undefined) return `${method}() has no execFile counterpart`;
    const object = callee.object;
    let module: string | undefined;
    if (object.type === 'Identifier') {
      const binding = importedBinding(context.ast, object.name);
      if (binding !== undefined && (binding.imported === '*' || binding.imported === 'default')) module = binding.module;
    } else if (object.type === 'CallExpression' && object.callee.type === 'Identifier' && object.callee.name === 'require' && object.arguments[0]?.type === 'StringLiteral') {
      module = object.arguments[0].value;
    }
    if (module === undefined || !CHILD_PROCESS.has(module)) return `the object ${method}() is called on is not child_process (shelljs and others have no execFile)`;
    return { kind: 'member', property: callee.property, method };
  }
  return 'the command runner is not a child_process exec call';
}

/** The name to call execFile by, and the edit that imports it next to `exec` when the file lacks it. */
function importFor(context: FixContext, callee: Extract<Callee, { kind: 'named' }>, wanted: string): { name: string; edits: OffsetEdit[] } | string {
  // Reuse an existing child_process import of execFile, under whatever local name it has.
  for (const statement of context.ast.program.body) {
    if (statement.type !== 'ImportDeclaration' || !CHILD_PROCESS.has(statement.source.value) || statement.importKind === 'type') continue;
    for (const specifier of statement.specifiers) {
      if (specifier.type === 'ImportSpecifier' && specifier.imported.type === 'Identifier' && specifier.imported.name === wanted && specifier.importKind !== 'type') {
        return bindingCount(context.ast, specifier.local.name) === 1 ? { name: specifier.local.name, edits: [] } : `${specifier.local.name} is declared more than once`;
      }
    }
  }
  const existing = importedBinding(context.ast, wanted);
  if (existing !== undefined && CHILD_PROCESS.has(existing.module) && existing.imported === wanted) return { name: wanted, edits: [] };
  if (bindingCount(context.ast, wanted) > 0) return `the file already declares ${wanted} as something else`;
  const container = callee.binding.container;
  if (container.type === 'ImportDeclaration') {
    const last = container.specifiers[container.specifiers.length - 1];
    if (last?.type !== 'ImportSpecifier') return 'the import of exec has no named list to add execFile to';
    return { name: wanted, edits: [insertAt(last.end ?? 0, `, ${wanted}`)] };
  }
  if (container.type === 'ObjectPattern') {
    const last = container.properties[container.properties.length - 1];
    if (last === undefined || last.type === 'RestElement') return 'the require of exec has no plain pattern to add execFile to';
    return { name: wanted, edits: [insertAt(last.end ?? 0, `, ${wanted}`)] };
  }
  return 'exec is not imported by name';
}

/** The `command-injection` fix: `exec`/`execSync` with a built command → `execFile`/`execFileSync` with an argument array. */
export function fixCommandInjection(context: FixContext): FixAttempt {
  const { node } = context.call;
  if (node.type === 'NewExpression') return refuse('the finding is not an exec call');
  const callee = calleeOf(context);
  if (typeof callee === 'string') return refuse(callee);
  const args = node.arguments;
  if (args.some((arg) => arg.type === 'SpreadElement')) return refuse('the call spreads its arguments');
  const command = args[0];
  const built = builtString(command);
  if (command === undefined || built === undefined) return refuse('the command is not built in the call itself; rewrite where it is assembled');
  const split = words(built.parts);
  if (typeof split === 'string') return refuse(split);
  const [program, ...rest] = split;
  if (program === undefined) return refuse('the command is empty');
  if (program.some((part) => part.kind === 'value')) return refuse('the program itself comes from a value; map the input to a fixed program instead');
  const options = args[1];
  if (options !== undefined && !isFunctionLiteral(options)) {
    if (options.type !== 'ObjectExpression') return refuse('the options are not written in the call, so whether they ask for a shell is not certain');
    if (options.properties.some((property) => property.type !== 'ObjectProperty') || propertyOf(options, 'shell') !== undefined) {
      return refuse('the options ask for a shell (or spread other options in)');
    }
  }
  const wanted = REPLACEMENT[callee.method] ?? 'execFile';
  const edits: OffsetEdit[] = [];
  let name = wanted;
  if (callee.kind === 'named') {
    const imported = importFor(context, callee, wanted);
    if (typeof imported === 'string') return refuse(imported);
    name = imported.name;
    edits.push(...imported.edits, replaceNode(callee.node, name));
  } else {
    edits.push(replaceNode(callee.property, wanted));
  }
  const programText = program.map((part) => (part.kind === 'text' ? part.value : '')).join('');
  const argv = rest.map((word) => argumentText(word, context.text));
  edits.push(replaceNode(command, `'${programText}', [${argv.join(', ')}]`));
  return propose(`Run ${programText} with ${wanted} and an argument array instead of ${callee.method} through a shell.`, edits);
}
