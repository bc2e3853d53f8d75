/**
 * Configuration checks: misconfigurations found from the code's shape, without data flow — JWT verification without
 * pinned algorithms, hard-coded secrets, fast hashes of passwords, broken ciphers, `Math.random()` tokens, cookies
 * without flags, credentialed CORS reflecting any origin, disabled TLS verification, trusting every proxy, and
 * super-linear regular expressions. Call patterns and options come from the rule packs; the few checks that need
 * more than a pattern are the named matchers below.
 */
import { VISITOR_KEYS } from '@babel/types';
import type * as t from '@babel/types';
import type { Finding } from '../../types.js';
import type { CallCondition, ConfigRule } from '../../rules/types.js';
import type { CompiledRules } from '../compiled.js';
import { configFinding } from '../findings.js';
import { isRelativeSpecifier, normalizeModule } from '../modules.js';
import type { ParsedModule } from '../parse.js';
import { rangeOf, rawTextOf, textOf } from '../text.js';
import { redosReason } from './redos.js';

type Literal = string | number | boolean | null;

/** What the checks know about an option value written as a literal. */
interface OptionInfo {
  readonly node: t.Node;
  readonly literal?: Literal;
  readonly elements?: readonly Literal[];
}

const TEST_FILE = /(^|\/)(test|tests|__tests__|__mocks__|fixtures?|spec)\/|\.(test|spec|fixtures?)\.[cm]?[jt]sx?$/i;

function shannonEntropy(value: string): number {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

function stringValue(node: t.Node | null | undefined): string | undefined {
  if (node === null || node === undefined) return undefined;
  if (node.type === 'StringLiteral') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0]?.value.cooked ?? undefined;
  if (node.type === 'TSAsExpression' || node.type === 'TSSatisfiesExpression') return stringValue(node.expression);
  return undefined;
}

function literalOf(node: t.Node): Literal | undefined {
  switch (node.type) {
    case 'StringLiteral':
    case 'NumericLiteral':
    case 'BooleanLiteral':
      return node.value;
    case 'NullLiteral':
      return null;
    case 'TemplateLiteral':
      return node.expressions.length === 0 ? (node.quasis[0]?.value.cooked ?? null) : undefined;
    case 'UnaryExpression':
      if (node.operator === '!' && node.argument.type === 'NumericLiteral') return !node.argument.value;
      return undefined;
    default:
      return undefined;
  }
}

function keyName(node: t.Node): string | undefined {
  if (node.type === 'Identifier') return node.name;
  if (node.type === 'StringLiteral') return node.value;
  return undefined;
}

/** Walks one module for configuration rules. */
export class ConfigChecker {
  private readonly findings: Finding[] = [];
  private readonly imports = new Map<string, { module: string; path: readonly string[] }>();
  private readonly objects = new Map<string, t.ObjectExpression>();
  private readonly ancestors: t.Node[] = [];
  private readonly callRules: ConfigRule[] = [];
  private readonly propertyRules: ConfigRule[] = [];
  private readonly assignRules: ConfigRule[] = [];
  private readonly matchers = new Map<string, ConfigRule>();
  private readonly isTestFile: boolean;

  constructor(
    private readonly parsed: ParsedModule,
    rules: CompiledRules,
  ) {
    for (const rule of rules.configRules) {
      if (rule.match.call !== undefined) this.callRules.push(rule);
      else if (rule.match.property !== undefined) this.propertyRules.push(rule);
      else if (rule.match.assign !== undefined) this.assignRules.push(rule);
      else if (rule.match.matcher !== undefined) this.matchers.set(rule.match.matcher, rule);
    }
    this.isTestFile = TEST_FILE.test(parsed.file);
  }

  run(): Finding[] {
    this.collect(this.parsed.ast.program);
    this.visit(this.parsed.ast.program);
    return this.findings;
  }

  /** Imports, requires and object literals bound to names (options objects declared before use). */
  private collect(program: t.Program): void {
    for (const statement of program.body) {
      if (statement.type === 'ImportDeclaration' && !isRelativeSpecifier(statement.source.value)) {
        const normalized = normalizeModule(statement.source.value);
        for (const specifier of statement.specifiers) {
          const path =
            specifier.type === 'ImportSpecifier'
              ? [...normalized.path, specifier.imported.type === 'Identifier' ? specifier.imported.name : specifier.imported.value]
              : normalized.path;
          this.imports.set(specifier.local.name, { module: normalized.module, path });
        }
      }
      if (statement.type === 'VariableDeclaration') {
        for (const declarator of statement.declarations) this.collectDeclarator(declarator);
      }
    }
  }

  private collectDeclarator(declarator: t.VariableDeclarator): void {
    const init = declarator.init;
    if (init === null || init === undefined) return;
    if (init.type === 'CallExpression' && init.callee.type === 'Identifier' && init.callee.name === 'require') {
      const specifier = stringValue(init.arguments[0]);
      if (specifier === undefined || isRelativeSpecifier(specifier)) return;
      const normalized = normalizeModule(specifier);
      if (declarator.id.type === 'Identifier') this.imports.set(declarator.id.name, normalized);
      if (declarator.id.type === 'ObjectPattern') {
        for (const property of declarator.id.properties) {
          if (property.type === 'ObjectProperty' && property.value.type === 'Identifier') {
            const name = keyName(property.key);
            if (name !== undefined) this.imports.set(property.value.name, { module: normalized.module, path: [...normalized.path, name] });
          }
        }
      }
    }
    if (init.type === 'ObjectExpression' && declarator.id.type === 'Identifier') this.objects.set(declarator.id.name, init);
  }

  /**
   * The name rules use for a callee: `module:export.path`, with `()` for a call on the way (`cookies().set` from
   * next/headers is `next/headers:cookies().set`), or the dotted path of a global.
   */
  private qualifiedName(node: t.Node): string | undefined {
    const parts: string[] = [];
    let current: t.Node = node;
    for (;;) {
      if (current.type === 'MemberExpression' || current.type === 'OptionalMemberExpression') {
        if (current.computed || current.property.type !== 'Identifier') return undefined;
        parts.unshift(current.property.name);
        current = current.object;
      } else if (current.type === 'CallExpression' || current.type === 'OptionalCallExpression') {
        parts.unshift('()');
        current = current.callee;
      } else if (current.type === 'AwaitExpression') {
        current = current.argument;
      } else {
        break;
      }
    }
    if (current.type !== 'Identifier') return undefined;
    const imported = this.imports.get(current.name);
    if (imported !== undefined) {
      const path = joinPath([...imported.path, ...parts]);
      return path === '' ? imported.module : `${imported.module}:${path}`;
    }
    return joinPath([current.name, ...parts]);
  }

  /** `const jar = await cookies()`: the name now stands for what the imported call returns. */
  private collectCallResult(declarator: t.VariableDeclarator): void {
    if (declarator.id.type !== 'Identifier' || declarator.init === null || declarator.init === undefined) return;
    let init: t.Node = declarator.init;
    if (init.type === 'AwaitExpression') init = init.argument;
    if (init.type !== 'CallExpression' || init.callee.type !== 'Identifier') return;
    const imported = this.imports.get(init.callee.name);
    if (imported !== undefined) this.imports.set(declarator.id.name, { module: imported.module, path: [...imported.path, '()'] });
  }

  private visit(node: t.Node): void {
    this.ancestors.push(node);
    try {
      this.inspect(node);
      // Babel's list of child keys per node type: walking Object.keys of every node (positions, comments, extra)
      // was the largest single cost of configuration checks.
      for (const key of VISITOR_KEYS[node.type] ?? Object.keys(node)) {
        const child = (node as unknown as Record<string, unknown>)[key];
        if (Array.isArray(child)) {
          for (const item of child) if (isNode(item)) this.visit(item);
        } else if (isNode(child)) {
          this.visit(child);
        }
      }
    } finally {
      this.ancestors.pop();
    }
  }

  private report(rule: ConfigRule, node: t.Node, detail?: string, fix?: Finding['fix']): void {
    this.findings.push(configFinding(rule, rangeOf(this.parsed.file, node), textOf(this.parsed.text, node), detail, fix));
  }

  private inspect(node: t.Node): void {
    switch (node.type) {
      case 'CallExpression':
      case 'NewExpression':
        this.inspectCall(node);
        return;
      case 'ObjectExpression':
        this.inspectObject(node);
        return;
      case 'ObjectProperty':
        this.inspectProperty(node);
        return;
      case 'AssignmentExpression':
        this.inspectAssignment(node);
        return;
      case 'VariableDeclarator':
        if (node.id.type === 'Identifier' && node.init !== null && node.init !== undefined) this.secretCandidate(node.id.name, node.init, node);
        this.collectCallResult(node);
        this.forwardedFor(node);
        return;
      case 'ClassProperty':
        if (node.key.type === 'Identifier' && node.value !== null && node.value !== undefined) this.secretCandidate(node.key.name, node.value, node);
        return;
      case 'StringLiteral':
      case 'TemplateElement':
        this.knownSecretFormat(node);
        return;
      case 'RegExpLiteral':
        this.redos(node.pattern, node);
        return;
      case 'IfStatement':
        this.noneAlgorithmAccepted(node);
        return;
      default:
        return;
    }
  }

  // ---- call rules

  private inspectCall(node: t.CallExpression | t.NewExpression): void {
    const callee = node.callee;
    const qname = this.qualifiedName(callee);
    const method = (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') && !callee.computed && callee.property.type === 'Identifier' ? callee.property.name : undefined;
    const receiverText = callee.type === 'MemberExpression' ? rawTextOf(this.parsed.text, callee.object) : undefined;
    for (const rule of this.callRules) {
      const pattern = rule.match.call;
      if (pattern === undefined) continue;
      const isNew = node.type === 'NewExpression';
      let matched = false;
      if (!isNew && pattern.functions?.includes(qname ?? '') === true) matched = true;
      if (isNew && pattern.constructors?.includes(qname ?? '') === true) matched = true;
      if (!isNew && method !== undefined && pattern.methods?.includes(method) === true) {
        const receiverOk = pattern.receiver === undefined || (receiverText !== undefined && new RegExp(pattern.receiver, 'i').test(receiverText));
        const moduleOk = pattern.modules === undefined || pattern.modules.some((module) => qname?.startsWith(`${module}:`) === true);
        matched = receiverOk && (pattern.receiver !== undefined ? true : moduleOk);
      }
      if (!matched) continue;
      if (rule.match.when !== undefined && !rule.match.when.every((condition) => this.condition(condition, node))) continue;
      if (rule.match.unless?.some((condition) => this.condition(condition, node)) === true) continue;
      if (rule.match.whenAny !== undefined && !rule.match.whenAny.some((condition) => this.condition(condition, node))) continue;
      this.report(rule, this.location(rule, node), undefined, this.fixFor(rule, node));
    }
    if (qname === 'Math.random' && !isNewExpression(node)) this.insecureRandom(node);
    if (method === 'update' || method === 'digest') this.weakPasswordHash(node, method);
    if (qname !== undefined) this.weakPasswordHashFunction(node, qname);
    if (qname !== undefined && this.jwtDecoders().includes(qname)) this.jwtDecode(node);
    if (method !== undefined && ['setHeader', 'header', 'set', 'append'].includes(method)) this.corsReflection(node);
    if (qname === 'RegExp' && node.arguments[0] !== undefined) {
      const pattern = stringValue(node.arguments[0]);
      if (pattern !== undefined) this.redos(pattern, node);
    }
  }

  /**
   * Where a call finding belongs: on the offending option when a condition names one that is there
   * (`cookie: { secure: false }`, `origin: (o) => o`), else on the call.
   */
  private location(rule: ConfigRule, node: t.CallExpression | t.NewExpression): t.Node {
    const conditions = [...(rule.match.whenAny ?? []), ...(rule.match.when ?? [])];
    for (const condition of conditions) {
      const option = condition.option;
      if (option === undefined || option.is === 'absent' || !this.condition(condition, node)) continue;
      const info = this.optionInfo(node.arguments, option.arg, option.key);
      if (info !== undefined) return info.node;
    }
    return node;
  }

  private optionInfo(args: readonly t.Node[], selector: number | 'last' | 'all', key: string): OptionInfo | undefined {
    const index = selector === 'last' ? args.length - 1 : selector === 'all' ? 0 : selector;
    let current: t.Node | undefined = args[index];
    for (const part of key.split('.')) {
      if (current?.type === 'Identifier') current = this.objects.get(current.name);
      if (current?.type !== 'ObjectExpression') return undefined;
      const property: t.ObjectExpression['properties'][number] | undefined = current.properties.find(
        (item) => item.type === 'ObjectProperty' && !item.computed && keyName(item.key) === part,
      );
      if (property?.type !== 'ObjectProperty') return undefined;
      current = property.value;
    }
    if (current === undefined) return undefined;
    if (current.type === 'ArrayExpression') {
      return { node: current, elements: current.elements.map((element) => (element === null ? null : (literalOf(element) ?? null))) };
    }
    const literal = literalOf(current);
    return literal === undefined ? { node: current } : { node: current, literal };
  }

  private condition(condition: CallCondition, node: t.CallExpression | t.NewExpression): boolean {
    const args = node.arguments;
    if (condition.receiverOption !== undefined) return false;
    if (condition.minArgs !== undefined && args.length < condition.minArgs) return false;
    if (condition.argLiteral !== undefined) {
      const arg = args[condition.argLiteral.arg];
      const literal = arg === undefined ? undefined : literalOf(arg);
      if (literal === undefined || literal === null || !new RegExp(condition.argLiteral.matches, 'i').test(String(literal))) return false;
    }
    if (condition.argText !== undefined) {
      const arg = args[condition.argText.arg];
      if (arg === undefined || !new RegExp(condition.argText.matches, 'i').test(rawTextOf(this.parsed.text, arg))) return false;
    }
    if (condition.option !== undefined) {
      const { option } = condition;
      const info = this.optionInfo(args, option.arg, option.key);
      switch (option.is) {
        case 'present':
          return info !== undefined;
        case 'absent':
          return info === undefined;
        case 'truthy':
          return info !== undefined && (info.literal === undefined ? true : Boolean(info.literal));
        case 'falsy':
          return info !== undefined && 'literal' in info && !info.literal;
        case 'contains':
          return (info?.elements ?? (info?.literal === undefined ? [] : [info.literal])).some((item) => String(item).toLowerCase() === option.value?.toLowerCase());
        case 'matches':
          return info !== undefined && new RegExp(option.value ?? '', 'i').test(rawTextOf(this.parsed.text, info.node));
      }
    }
    return true;
  }

  /** Mechanical fixes for configuration findings `--fix` can apply. */
  private fixFor(rule: ConfigRule, node: t.CallExpression | t.NewExpression): Finding['fix'] {
    if (rule.id === 'jwt-misuse/verify-without-algorithms' && node.arguments.length === 2) {
      const last = node.arguments[1];
      if (last?.loc === null || last?.loc === undefined) return undefined;
      const at = { line: last.loc.end.line, column: last.loc.end.column + 1 };
      return {
        description: "Pin the accepted algorithm: add { algorithms: ['HS256'] } (use the algorithm your tokens are signed with).",
        edits: [{ range: { file: this.parsed.file, start: at, end: at }, text: ", { algorithms: ['HS256'] }" }],
      };
    }
    return undefined;
  }

  // ---- property and assignment rules

  /** Property rules see the whole object literal: a rule may be lifted by a sibling property. */
  private inspectObject(node: t.ObjectExpression): void {
    if (this.propertyRules.length === 0) return;
    const literals = new Map<string, unknown>();
    for (const property of node.properties) {
      if (property.type !== 'ObjectProperty' || property.computed) continue;
      const key = keyName(property.key);
      if (key !== undefined) literals.set(key, literalOf(property.value));
    }
    for (const property of node.properties) {
      if (property.type !== 'ObjectProperty' || property.computed) continue;
      const key = keyName(property.key);
      if (key === undefined) continue;
      for (const rule of this.propertyRules) {
        const expected = rule.match.property;
        if (expected === undefined || expected.key !== key || literals.get(key) !== expected.value) continue;
        if (expected.unlessSibling !== undefined && literals.get(expected.unlessSibling.key) === expected.unlessSibling.value) continue;
        this.report(rule, property);
      }
    }
  }

  private inspectProperty(node: t.ObjectProperty): void {
    const key = node.computed ? undefined : keyName(node.key);
    if (key === undefined) return;
    this.secretCandidate(key, node.value, node);
  }

  private inspectAssignment(node: t.AssignmentExpression): void {
    if (node.operator !== '=') return;
    const target = rawTextOf(this.parsed.text, node.left);
    const literal = literalOf(node.right);
    for (const rule of this.assignRules) {
      const expected = rule.match.assign;
      if (expected === undefined || literal !== expected.value || !new RegExp(expected.target, 'i').test(target)) continue;
      if (expected.unlessAssigned !== undefined && this.assigns(new RegExp(expected.unlessAssigned, 'i'))) continue;
      this.report(rule, node);
    }
    const name = node.left.type === 'MemberExpression' && !node.left.computed && node.left.property.type === 'Identifier' ? node.left.property.name : node.left.type === 'Identifier' ? node.left.name : undefined;
    if (name !== undefined) this.secretCandidate(name, node.right, node);
  }

  /** True when the module assigns to a target whose text matches (a limit set next to the setting). */
  private assigns(target: RegExp): boolean {
    return this.parsed.ast.program.body.some((statement) => {
      const expression = statement.type === 'ExpressionStatement' ? statement.expression : undefined;
      return expression?.type === 'AssignmentExpression' && target.test(rawTextOf(this.parsed.text, expression.left));
    });
  }

  // ---- hard-coded secrets

  private secretCandidate(name: string, valueNode: t.Node, node: t.Node): void {
    const rule = this.matchers.get('hardcoded-secret');
    if (rule === undefined || this.isTestFile) return;
    const options = rule.match.options ?? {};
    const keyPattern = new RegExp(String(options.keyPattern ?? '(password|passwd|secret|token|api[_-]?key|private[_-]?key|credential)'), 'i');
    if (!keyPattern.test(name)) return;
    const ignoredKeys = new RegExp(String(options.ignoreKeyPattern ?? '^$'), 'i');
    if (ignoredKeys.test(name)) return;
    // `process.env.X || 'fallback'`: the fallback is the secret in every environment that forgets the variable.
    let literalNode: t.Node = valueNode;
    if (valueNode.type === 'LogicalExpression' && (valueNode.operator === '||' || valueNode.operator === '??')) literalNode = valueNode.right;
    const value = stringValue(literalNode);
    if (value === undefined) return;
    const minLength = Number(options.minLength ?? 8);
    const minEntropy = Number(options.minEntropy ?? 3);
    const placeholder = new RegExp(String(options.placeholderPattern ?? '^(changeme|change[-_ ]?me|your[-_ ]|xxx+|<.*>|\\$\\{|example|dummy|placeholder|todo|replace[-_ ]?me|test|secret|password)'), 'i');
    // Words (`invalid_token`, `RefreshToken`) are names and codes, not credentials; secrets mix in digits or symbols.
    if (value.length < minLength || shannonEntropy(value) < minEntropy || placeholder.test(value) || /^[a-z]+([-_ .:][a-z]+)*$/i.test(value)) return;
    // Sentences (messages keyed by an error code such as `common_password`) and URLs/paths are not credentials.
    if (/^(https?:\/\/|\/|\.\/)/.test(value) || value.trim().split(/\s+/).length > 2) return;
    // Regular-expression sources (RFC 7230's `token` grammar as a character class, `\d{6}`) describe tokens; they are
    // not one.
    if (/\[[^\]]+\][+*?{]/.test(value) || /\\[dDwWsS]/.test(value)) return;
    this.report(rule, node, name);
  }

  private knownSecretFormat(node: t.StringLiteral | t.TemplateElement): void {
    const rule = this.matchers.get('hardcoded-secret');
    if (rule === undefined || this.isTestFile) return;
    const value = node.type === 'StringLiteral' ? node.value : (node.value.cooked ?? '');
    if (value.length < 16) return;
    // `xoxb-your-token-here`: a placeholder in the credential's format documents the format, it is not a credential.
    if (/(your|example|placeholder|changeme|change-me|dummy|sample|here|xxxx|<|>)/i.test(value)) return;
    const formats = rule.match.options?.formats;
    const list: readonly string[] = Array.isArray(formats) ? (formats as readonly string[]) : [];
    for (const format of list) {
      if (new RegExp(format).test(value)) {
        this.report(rule, node, 'a credential in a known format');
        return;
      }
    }
  }

  // ---- weak password hashing

  private weakPasswordHash(node: t.CallExpression | t.NewExpression, method: string): void {
    const rule = this.matchers.get('weak-password-hash');
    if (rule === undefined || node.callee.type !== 'MemberExpression') return;
    const options = rule.match.options ?? {};
    const algorithms = new RegExp(`^(${String(options.algorithms ?? 'md5|sha1')})$`, 'i');
    const passwordName = new RegExp(String(options.passwordPattern ?? 'pass(word)?|pwd|passwd'), 'i');
    let hashCall: t.Node = node.callee.object;
    if (method === 'digest') {
      if (hashCall.type !== 'CallExpression' || hashCall.callee.type !== 'MemberExpression') return;
      hashCall = hashCall.callee.object;
      return;
    }
    if (hashCall.type !== 'CallExpression') return;
    const qname = this.qualifiedName(hashCall.callee);
    if (qname !== 'crypto:createHash' && qname !== 'createHash') return;
    const algorithm = stringValue(hashCall.arguments[0]);
    const input = node.arguments[0];
    if (algorithm === undefined || input === undefined || !algorithms.test(algorithm)) return;
    if (!passwordName.test(rawTextOf(this.parsed.text, input))) return;
    this.report(rule, node, algorithm);
  }

  private weakPasswordHashFunction(node: t.CallExpression | t.NewExpression, qname: string): void {
    const rule = this.matchers.get('weak-password-hash');
    if (rule === undefined || !['md5', 'sha1', 'js-md5', 'crypto-js:MD5', 'crypto-js:SHA1', 'crypto-js:SHA256'].includes(qname)) return;
    const passwordName = new RegExp(String(rule.match.options?.passwordPattern ?? 'pass(word)?|pwd|passwd'), 'i');
    const input = node.arguments[0];
    if (input !== undefined && passwordName.test(rawTextOf(this.parsed.text, input))) this.report(rule, node, qname);
  }

  // ---- Math.random for secrets

  private insecureRandom(node: t.Node): void {
    const rule = this.matchers.get('insecure-randomness');
    if (rule === undefined) return;
    const names = new RegExp(String(rule.match.options?.namePattern ?? '(token|secret|password|passwd|nonce|salt|otp|session|csrf|reset|api[_-]?key|verification|invite|uuid|guid|code|id)$'), 'i');
    for (let index = this.ancestors.length - 2; index >= 0; index--) {
      const ancestor = this.ancestors[index];
      if (ancestor === undefined) break;
      let name: string | undefined;
      if (ancestor.type === 'VariableDeclarator' && ancestor.id.type === 'Identifier') name = ancestor.id.name;
      else if (ancestor.type === 'ObjectProperty') name = keyName(ancestor.key);
      else if (ancestor.type === 'AssignmentExpression') name = ancestor.left.type === 'Identifier' ? ancestor.left.name : ancestor.left.type === 'MemberExpression' && ancestor.left.property.type === 'Identifier' ? ancestor.left.property.name : undefined;
      else if (ancestor.type === 'FunctionDeclaration' || ancestor.type === 'ClassMethod' || ancestor.type === 'ObjectMethod') {
        name = ancestor.type === 'FunctionDeclaration' ? ancestor.id?.name : keyName(ancestor.key);
      } else if (ancestor.type === 'ArrowFunctionExpression' || ancestor.type === 'FunctionExpression') {
        const parent = this.ancestors[index - 1];
        name = parent?.type === 'VariableDeclarator' && parent.id.type === 'Identifier' ? parent.id.name : undefined;
      }
      if (name !== undefined) {
        if (names.test(name) || /(token|secret|password|nonce|salt|otp|apikey)/i.test(name)) this.report(rule, node, name);
        if (ancestor.type !== 'ObjectProperty' || index < this.ancestors.length - 6) return;
      }
      if (ancestor.type === 'Program') return;
    }
  }

  // ---- jwt.decode used for decisions

  /** Functions that read a token's claims without checking its signature. */
  private jwtDecoders(): readonly string[] {
    const listed = this.matchers.get('jwt-decode-authorization')?.match.options?.functions;
    return Array.isArray(listed) ? (listed as readonly string[]) : ['jsonwebtoken:decode', 'jwt-decode', 'jose:decodeJwt', 'hono/jwt:decode'];
  }

  private jwtDecode(node: t.CallExpression | t.NewExpression): void {
    const rule = this.matchers.get('jwt-decode-authorization');
    if (rule === undefined) return;
    // Skip `await`, `as { role?: string }`, `!` and parentheses between the call and the variable holding it.
    let level = this.ancestors.length - 2;
    while (level > 0 && /^(AwaitExpression|TSAsExpression|TSNonNullExpression|TSSatisfiesExpression|ParenthesizedExpression|TSTypeAssertion)$/.test(this.ancestors[level]?.type ?? '')) level--;
    const parent = this.ancestors[this.ancestors.length - 2];
    const holder = this.ancestors[level];
    let name: string | undefined;
    if (holder?.type === 'VariableDeclarator') {
      if (holder.id.type === 'Identifier') name = holder.id.name;
      else if (holder.id.type === 'ObjectPattern') name = holder.id.properties.map((property) => (property.type === 'ObjectProperty' && property.value.type === 'Identifier' ? property.value.name : '')).filter(Boolean).join('|');
    }
    const fnNode = [...this.ancestors].reverse().find((ancestor) => ancestor.type.includes('Function') || ancestor.type === 'ClassMethod' || ancestor.type === 'ObjectMethod');
    const scope = fnNode ?? this.parsed.ast.program;
    const text = this.parsed.text.slice(scope.start ?? 0, scope.end ?? 0);
    if (/\.verify\s*\(|jwtVerify\s*\(|\bverify\s*\(/.test(text)) return;
    // Any claim read from an unverified token (a role, a subject, an org id) is a decision made on forged data.
    const decision = /\.\s*[A-Za-z_$][\w$]*/;
    const used =
      name === undefined
        ? decision.test(rawTextOf(this.parsed.text, parent ?? node).slice(rawTextOf(this.parsed.text, node).length))
        : new RegExp(`\\b(${name})\\s*(\\?\\.|\\.|\\[)|if\\s*\\([^)]*\\b(${name})\\b`).test(text.replace(rawTextOf(this.parsed.text, node), ''));
    if (used) this.report(rule, node);
  }

  // ---- a hand-written verifier that accepts alg "none"

  /**
   * `if (alg === 'none') return claims;`: a verifier that branches on the token's own header and hands back the claims
   * for unsigned tokens accepts forged tokens (CWE-347). Refusing them (`throw`, `return undefined`) is fine.
   */
  private noneAlgorithmAccepted(node: t.IfStatement): void {
    const rule = this.matchers.get('jwt-none-accepted');
    if (rule === undefined || !this.testsNoneAlgorithm(node.test, new RegExp(String(rule.match.options?.algPattern ?? '^(alg|algorithm)$'), 'i'))) return;
    const first = node.consequent.type === 'BlockStatement' ? node.consequent.body[0] : node.consequent;
    if (first?.type !== 'ReturnStatement' || first.argument === null || first.argument === undefined) return;
    // Handing back claims (`return claims`, `return { ...payload }`) or `true` accepts the token.
    const returned = first.argument;
    const accepts =
      (returned.type === 'Identifier' && returned.name !== 'undefined') ||
      returned.type === 'MemberExpression' ||
      returned.type === 'ObjectExpression' ||
      literalOf(returned) === true;
    if (accepts) this.report(rule, node.test);
  }

  /** True when the condition compares an alg-named value with the literal 'none' (any case). */
  private testsNoneAlgorithm(test: t.Node, names: RegExp): boolean {
    if (test.type === 'LogicalExpression') return this.testsNoneAlgorithm(test.left, names) || this.testsNoneAlgorithm(test.right, names);
    if (test.type !== 'BinaryExpression' || (test.operator !== '===' && test.operator !== '==')) return false;
    const [subject, other] = stringValue(test.right) !== undefined ? [test.left, test.right] : [test.right, test.left];
    return stringValue(other)?.toLowerCase() === 'none' && names.test(rawTextOf(this.parsed.text, subject));
  }

  // ---- X-Forwarded-For as the client address

  /**
   * `const ip = req.headers['x-forwarded-for'].split(',')[0]`: the leftmost entry is whatever the client sent, so
   * rate limits and allowlists keyed on it are bypassed (CWE-348). The rightmost entry (added by your proxy) is not.
   */
  private forwardedFor(node: t.VariableDeclarator): void {
    const rule = this.matchers.get('forwarded-for-client-address');
    if (rule === undefined || node.init === null || node.init === undefined || node.id.type !== 'Identifier') return;
    const text = rawTextOf(this.parsed.text, node.init);
    if (!/(headers\s*\[\s*|\b(get|header)\s*\(\s*)['"`]x-forwarded-for['"`]/i.test(text)) return;
    if (/\.pop\s*\(|\.at\s*\(\s*-\s*1|length\s*-\s*1/.test(text)) return;
    const names = new RegExp(String(rule.match.options?.namePattern ?? '(ip|addr|address|client)'), 'i');
    if (!names.test(node.id.name) && !/split\s*\(\s*['"`],\s*['"`]\s*\)\s*\[\s*0\s*\]|\.shift\s*\(/.test(text)) return;
    this.report(rule, node);
  }

  // ---- CORS reflection

  private corsReflection(node: t.CallExpression | t.NewExpression): void {
    const rule = this.matchers.get('cors-reflected-origin');
    if (rule === undefined) return;
    const header = stringValue(node.arguments[0]);
    const value = node.arguments[1];
    if (header === undefined || !/^access-control-allow-origin$/i.test(header) || value === undefined) return;
    if (literalOf(value) !== undefined) return;
    // Only the origin itself (a variable, `req.headers.origin`, `req.get('origin')`) — a function of it is a policy.
    // `origin ?? '*'`: the fallback only matters when there is no Origin; the Origin itself is still echoed.
    const valueText = rawTextOf(this.parsed.text, value).replace(/\s*(\?\?|\|\|)\s*(['"`][^'"`]*['"`]|null|undefined)\s*$/, '');
    if (!/^[\w$.]*origin$|^[\w$.]*headers\s*\[\s*['"]origin['"]\s*\]$|^[\w$.]*(get|header)\s*\(\s*['"]origin['"]\s*\)$/i.test(valueText)) return;
    const fnNode = [...this.ancestors].reverse().find((ancestor) => ancestor.type.includes('Function'));
    const text = this.parsed.text.slice((fnNode ?? this.parsed.ast.program).start ?? 0, (fnNode ?? this.parsed.ast.program).end ?? 0);
    if (!/access-control-allow-credentials['"`]\s*,\s*(['"`]true['"`]|true)/i.test(text)) return;
    // An allowlist check before reflecting makes it safe.
    if (/\.(includes|has|indexOf)\s*\(\s*[\w.]*origin/i.test(text) || /===\s*[\w.]*origin|origin\s*===/i.test(text)) return;
    this.report(rule, node);
  }

  // ---- ReDoS

  private redos(pattern: string, node: t.Node): void {
    const rule = this.matchers.get('redos-literal');
    if (rule === undefined) return;
    const reason = redosReason(pattern);
    if (reason !== undefined) this.report(rule, node, reason);
  }
}

/** Joins a callee path, attaching call markers to the name before them (`cookies`, `()`, `set` → `cookies().set`). */
function joinPath(parts: readonly string[]): string {
  let result = '';
  for (const part of parts) result = part === '()' ? `${result}()` : result === '' ? part : `${result}.${part}`;
  return result;
}

function isNode(value: unknown): value is t.Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

function isNewExpression(node: t.Node): boolean {
  return node.type === 'NewExpression';
}

/** Runs every configuration rule over one module. */
export function checkConfiguration(parsed: ParsedModule, rules: CompiledRules): Finding[] {
  return new ConfigChecker(parsed, rules).run();
}
