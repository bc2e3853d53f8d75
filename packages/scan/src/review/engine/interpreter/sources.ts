/**
 * Framework objects and sources: which parameters are request/response objects, what reading them yields (request
 * body, query, headers…), NestJS parameter decorators and class-validator DTOs, response content types, and the route
 * registrations whose handlers are analysed with framework objects as arguments.
 */
import type * as t from '@babel/types';
import type { SourceSpec } from '../../rules/types.js';
import { ALL_CLASSES, classBit, classMask, OBJECT_ONLY_CLASSES } from '../classes.js';
import { frameworkOfModule, handlerFramework, handlerRoles, NEXT_ROUTE_EXPORTS, roleOfType, ROUTE_METHODS, ROUTER_NAME, type Framework } from '../frameworks.js';
import { rawTextOf, textOf } from '../text.js';
import { asStrings, cleaned, CLEAN, objectValue, readTaints, tainted, type Ref, type Taint, type Value } from '../values.js';
import { literalString, unwrap } from './syntax.js';
import type { CallContext } from './core.js';
import { ModuleLinking } from './linking.js';

export abstract class FrameworkSources extends ModuleLinking {
  protected sourceValue(spec: SourceSpec, node: t.Node | undefined): Value {
    if (spec.validated === true) return CLEAN;
    const steps = node === undefined ? [] : [this.step(node, `${spec.label} read (${textOf(this.text, node)})`)];
    let clean = spec.safeFor === undefined ? 0 : classMask(spec.safeFor);
    if (spec.onlyFor !== undefined) clean |= ALL_CLASSES & ~classMask(spec.onlyFor);
    return tainted([{ kind: spec.kind, confidence: spec.confidence, shape: spec.shape, clean, steps }]);
  }

  protected roleProperty(ref: Extract<Ref, { kind: 'role' }>, key: string, node: t.Node | undefined): Value {
    const sources = this.rules.sources.get(ref.role);
    const full = [...ref.path, key].join('.');
    const spec = sources?.properties.get(full);
    if (spec !== undefined) return this.sourceValue(spec, node);
    const member = this.rules.roleMembers.get(ref.role)?.get(full);
    if (member !== undefined) return this.roleValue(member);
    if (sources?.prefixes.has(full) === true) return this.roleValue(ref.role, [...ref.path, key]);
    return CLEAN;
  }

  protected roleMethod(receiver: Value, ref: Extract<Ref, { kind: 'role' }>, method: string, ctx: CallContext | undefined): Value {
    const sources = this.rules.sources.get(ref.role);
    const full = [...ref.path, method].join('.');
    const spec = sources?.methods.get(full);
    if (spec !== undefined) return this.sourceValue(spec, ctx?.node);
    if ((method === 'on' || method === 'once' || method === 'addListener') && ctx !== undefined) {
      const event = literalString(ctx.argNodes[0]);
      const eventSpec = event === undefined ? undefined : sources?.events.get(event);
      const callback = ctx.args[1];
      if (eventSpec !== undefined && callback !== undefined) this.invokeCallback(callback, [this.sourceValue(eventSpec, ctx.node)], ctx.argNodes[1]);
      return receiver;
    }
    if (ref.path.length === 0 && this.rules.chains.get(ref.role)?.has(method) === true) {
      const contentType = ctx === undefined ? undefined : this.contentTypeOf(method, ctx);
      if (contentType === undefined) return receiver;
      const updated: Value = { taints: [], ref: { ...ref, contentType } };
      if (ctx?.receiverNode?.type === 'Identifier') {
        const binding = this.lookup(ctx.receiverNode.name);
        if (binding !== undefined) binding.value = updated;
      }
      return updated;
    }
    return CLEAN;
  }

  /** The content type a response method sets (`res.type('html')`, `setHeader('Content-Type', …)`). */
  protected contentTypeOf(method: string, ctx: CallContext): 'html' | 'other' | undefined {
    let type: string | undefined;
    // A type computed at run time (`res.type(upstream.headers.get('content-type'))`) is a decision to send something
    // other than Express's default HTML; only a literal HTML type makes the response HTML.
    if (method === 'type' || method === 'contentType') type = literalString(ctx.argNodes[0]) ?? (ctx.argNodes[0] === undefined ? undefined : '');
    else if (['set', 'header', 'setHeader', 'append'].includes(method) && /^content-type$/i.test(literalString(ctx.argNodes[0]) ?? '')) {
      type = literalString(ctx.argNodes[1]) ?? (typeof ctx.args[1]?.literal === 'string' ? ctx.args[1].literal : '');
    } else if (method === 'writeHead') {
      for (const arg of ctx.args.slice(1)) {
        for (const [key, value] of arg.props ?? []) if (/^content-type$/i.test(key) && typeof value.literal === 'string') type = value.literal;
      }
    }
    if (type === undefined) return undefined;
    return /html/i.test(type) ? 'html' : 'other';
  }

  /**
   * A parameter that is a framework object or source by its declaration: typed with a framework's request type,
   * or decorated by NestJS (`@Body()`, `@Query('id')`, `@Req()`).
   */
  protected frameworkValue(param: t.Node): Value | undefined {
    const identifier = param.type === 'AssignmentPattern' ? param.left : param;
    if (identifier.type !== 'Identifier' && identifier.type !== 'ObjectPattern') return undefined;
    const decorators = identifier.decorators ?? (param as t.Identifier).decorators ?? [];
    for (const decorator of decorators) {
      const value = this.nestParameter(decorator, identifier);
      if (value !== undefined) return value;
    }
    const annotation = identifier.typeAnnotation;
    if (annotation?.type === 'TSTypeAnnotation') {
      const type = annotation.typeAnnotation;
      if (type.type === 'TSTypeReference') {
        const name = type.typeName.type === 'Identifier' ? type.typeName.name : type.typeName.right.name;
        const qualifier = type.typeName.type === 'TSQualifiedName' && type.typeName.left.type === 'Identifier' ? type.typeName.left.name : undefined;
        const imported = this.externalImports.get(qualifier ?? name);
        if (imported !== undefined) {
          const role = roleOfType(imported.module, qualifier === undefined ? (imported.imported === 'default' ? name : imported.imported) : name);
          if (role !== undefined) return this.roleValue(role);
        }
      }
    }
    return undefined;
  }

  protected nestParameter(decorator: t.Decorator, param: t.Identifier | t.ObjectPattern): Value | undefined {
    const expression = decorator.expression;
    const callee = expression.type === 'CallExpression' ? expression.callee : expression;
    if (callee.type !== 'Identifier') return undefined;
    const binding = this.externalImports.get(callee.name);
    if (binding?.module !== '@nestjs/common') return undefined;
    const name = binding.imported;
    const argument = expression.type === 'CallExpression' ? literalString(expression.arguments[0]) : undefined;
    const kinds: Readonly<Record<string, readonly [string, string, 'object' | 'any' | 'string']>> = {
      Body: ['http.body', 'request body', 'object'],
      Query: ['http.query', 'query string', 'object'],
      Param: ['http.params', 'route parameter', 'string'],
      Headers: ['http.headers', 'request header', 'string'],
      Ip: ['http.ip', 'client address', 'string'],
    };
    if (name === 'Req' || name === 'Request') return this.roleValue('express.req');
    if (name === 'Res' || name === 'Response') return this.roleValue('express.res');
    const kind = kinds[name];
    if (kind === undefined) return undefined;
    const [sourceKind, label, wholeShape] = kind;
    const shape = argument !== undefined ? (wholeShape === 'string' ? 'string' : 'any') : wholeShape;
    const taint: Taint = {
      kind: sourceKind,
      confidence: 'high',
      shape,
      clean: 0,
      steps: [this.step(decorator, `${label} read (${textOf(this.text, decorator)})`)],
    };
    const dto = param.type === 'Identifier' && argument === undefined ? this.dtoValue(param, taint) : undefined;
    return dto ?? tainted([taint]);
  }

  /**
   * A NestJS DTO validated by class-validator: fields declared with a numeric, boolean, UUID, e-mail, enum or
   * pattern decorator are clean; `@IsString()` fields are strings; the object as a whole is whitelisted (not mass
   * assignment) when it declares any validated field.
   */
  protected dtoValue(param: t.Identifier, taint: Taint): Value | undefined {
    const annotation = param.typeAnnotation;
    if (annotation?.type !== 'TSTypeAnnotation' || annotation.typeAnnotation.type !== 'TSTypeReference') return undefined;
    const typeName = annotation.typeAnnotation.typeName;
    if (typeName.type !== 'Identifier') return undefined;
    const ref = this.moduleScope.lookup(typeName.name)?.value.ref;
    if (ref?.kind !== 'class') return undefined;
    const safe = /^(IsInt|IsNumber|IsBoolean|IsUUID|IsEmail|IsEnum|IsIn|IsDate|IsPositive|IsNegative|Min|Max|Matches|IsAlphanumeric|IsNumberString|IsBooleanString|IsISO8601|IsMongoId|IsHexadecimal|IsAlpha|IsPort|IsDateString)$/;
    const props = new Map<string, Value>();
    let validated = false;
    for (const member of ref.cls.node.body.body) {
      if (member.type !== 'ClassProperty' || member.key.type !== 'Identifier') continue;
      const names = (member.decorators ?? []).map((decorator) => this.decoratorName(decorator) ?? '');
      if (names.length === 0) continue;
      validated = true;
      const field = readTaints([taint], member.key.name);
      if (names.some((name) => safe.test(name))) props.set(member.key.name, CLEAN);
      else if (names.includes('IsString')) props.set(member.key.name, tainted(cleaned(asStrings(field), OBJECT_ONLY_CLASSES)));
      else props.set(member.key.name, tainted(field));
    }
    if (!validated) return undefined;
    return objectValue(props, cleaned([taint], classBit('mass-assignment')));
  }

  /** Route registrations: analyse the handlers with framework objects as parameters. */
  protected registerHandlers(ctx: CallContext): boolean {
    const { method, receiver, receiverNode } = ctx;
    if (ctx.qname === 'http:createServer' || ctx.qname === 'https:createServer' || ctx.qname === 'http2:createServer') {
      for (const arg of ctx.args) this.queueHandler(arg, 'node', ctx.node);
      return false;
    }
    if (method === undefined || receiver === undefined || receiverNode === undefined) return false;
    if (method === 'route' && ctx.args[0]?.props !== undefined) {
      const options = ctx.args[0];
      let found = false;
      for (const key of ['handler', 'preHandler', 'onRequest', 'preValidation']) {
        const handler = options.props?.get(key);
        if (handler !== undefined) {
          this.queueHandler(handler, 'fastify', ctx.node);
          found = true;
        }
      }
      return found;
    }
    if (method === 'addHook' && typeof ctx.args[0]?.literal === 'string') {
      for (const arg of ctx.args.slice(1)) this.queueHandler(arg, 'fastify', ctx.node);
      return true;
    }
    if (!ROUTE_METHODS.has(method)) return false;
    // A router passed in as a parameter (a Fastify plugin's `app`) is symbolic, not attacker data.
    if (receiver.taints.some((taint) => taint.param === undefined)) return false;
    const first = ctx.argNodes[0];
    const firstIsPath = first !== undefined && ['StringLiteral', 'TemplateLiteral', 'RegExpLiteral', 'ArrayExpression'].includes(unwrap(first).type);
    if (method === 'on') {
      if (literalString(first) !== 'request') return false;
      for (const arg of ctx.args.slice(1)) this.queueHandler(arg, 'node', ctx.node);
      return true;
    }
    const receiverRef = receiver.ref;
    const fromFramework = receiverRef?.kind === 'module' && frameworkOfModule(receiverRef.module) !== undefined;
    const routerLike = ROUTER_NAME.test(rawTextOf(this.text, receiverNode).split('.').pop() ?? '') || (receiverNode.type === 'CallExpression' && /\.route\s*\(/.test(rawTextOf(this.text, receiverNode)));
    if (!(firstIsPath || fromFramework || (method === 'use' && routerLike) || (routerLike && ctx.args.length >= 2))) return false;
    let registered = false;
    for (const [index, arg] of ctx.args.entries()) {
      if (index === 0 && firstIsPath) continue;
      const handlers = (arg.elements ?? [arg]).map((item) => this.materialize(item));
      for (const handler of handlers) {
        if (handler.ref === undefined || !['function', 'summary-function'].includes(handler.ref.kind)) continue;
        const params = handler.ref.kind === 'function' ? handler.ref.fn.node.params.map((param) => (param.type === 'Identifier' ? param.name : '')) : [];
        this.queueHandler(handler, handlerFramework(this.frameworks, params), ctx.node);
        registered = true;
      }
    }
    return registered;
  }

  protected queueHandler(value: Value, framework: Framework, site: t.Node): void {
    const materialized = this.materialize(value);
    if (materialized.ref?.kind !== 'function' && materialized.ref?.kind !== 'summary-function') return;
    this.pending.push({ value: materialized, framework, site });
  }

  /** Next.js: App Router `export async function GET(request)` and Pages API default exports are handlers. */
  protected queueFrameworkExports(): void {
    for (const [exported, local] of this.exportLocals) {
      const value = this.moduleScope.lookup(local)?.value;
      if (value === undefined) continue;
      if (NEXT_ROUTE_EXPORTS.has(exported)) this.queueHandler(value, 'next', this.parsed.ast);
      else if (exported === 'default' && /(^|\/)pages\/api\//.test(this.file)) this.queueHandler(value, 'next-pages', this.parsed.ast);
    }
    const defaultValue = this.exportValues.get('default');
    if (defaultValue !== undefined && /(^|\/)pages\/api\//.test(this.file)) this.queueHandler(defaultValue, 'next-pages', this.parsed.ast);
    for (const value of this.exportedValues()) {
      const ref = value.ref;
      if (ref?.kind === 'function' && ref.fn.handlerModes.size === 0 && looksLikeHandler(ref.fn.node)) this.queueHandler(value, this.conventionalFramework(ref.fn.node), this.parsed.ast);
    }
  }

  /** Data a call reads back from storage (`db.prepare(sql).all()`), when a source rule names the call. */
  protected storedData(ctx: CallContext): Value | undefined {
    if (ctx.method === undefined || ctx.receiverNode === undefined) return undefined;
    for (const source of this.rules.callSources.get(ctx.method) ?? []) {
      if (source.receiver === undefined || source.receiver.test(rawTextOf(this.text, ctx.receiverNode))) return this.sourceValue(source.spec, ctx.node);
    }
    return undefined;
  }

  /**
   * NestJS: a controller method with a route decorator (`@Get()`, `@Post()`…) sends what it returns. The response is
   * HTML when `@Header('content-type', 'text/html')` says so (or the returned string carries markup).
   */
  protected handlerResponse(): Value | undefined {
    const fn = this.frame.fn;
    if (fn?.cls === undefined || !fn.cls.decorators.includes('Controller')) return undefined;
    const method = fn.node;
    if (method.type !== 'ClassMethod') return undefined;
    let route = false;
    let contentType: 'html' | 'other' | undefined;
    for (const decorator of method.decorators ?? []) {
      const name = this.decoratorName(decorator);
      if (name !== undefined && NEST_ROUTES.has(name)) route = true;
      const call = decorator.expression;
      if (name === 'Header' && call.type === 'CallExpression' && /^content-type$/i.test(literalString(call.arguments[0]) ?? '')) {
        contentType = /html/i.test(literalString(call.arguments[1]) ?? '') ? 'html' : 'other';
      }
    }
    if (!route) return undefined;
    return { taints: [], ref: { kind: 'role', role: 'nestjs.handler', path: [], ...(contentType === undefined ? {} : { contentType }) } };
  }

  /** Every function value this module exports (ESM, `exports.x =`, `module.exports =` and its members). */
  private exportedValues(): Value[] {
    const values: Value[] = [];
    for (const local of this.exportLocals.values()) {
      const value = this.moduleScope.lookup(local)?.value;
      if (value !== undefined) values.push(value);
    }
    values.push(...this.exportValues.values());
    if (this.cjsDefault !== undefined) values.push(this.cjsDefault, ...(this.cjsDefault.props?.values() ?? []));
    return values;
  }

  /** The framework of an exported `(req, res)` function: the file's web framework, node:http, else Express. */
  private conventionalFramework(node: t.Function): Framework {
    const params = node.params.map((param) => (param.type === 'Identifier' ? param.name : ''));
    const servers = [...this.frameworks].filter((framework) => framework !== 'node' && framework !== 'next' && framework !== 'next-pages');
    if (servers.length === 0 && this.frameworks.has('node')) return 'node';
    return handlerFramework(this.frameworks, params);
  }

  protected drainPending(): void {
    while (this.pending.length > 0) {
      const handler = this.pending.shift();
      if (handler === undefined) break;
      const roles = handlerRoles(handler.framework).map((role) => (role === undefined ? CLEAN : this.roleValue(role)));
      const ref = handler.value.ref;
      if (ref?.kind === 'function') {
        if (ref.fn.handlerModes.has(handler.framework)) continue;
        ref.fn.handlerModes.add(handler.framework);
        this.guarded(() => {
          this.analyzeFunction(ref.fn, roles, undefined, false);
        });
      } else if (ref?.kind === 'summary-function') {
        this.applySummary(ref.summary, roles, undefined, handler.site, ref.name, ref.file);
      }
    }
  }
}

/** NestJS route decorators: the method is a request handler whose return value is the response body. */
const NEST_ROUTES = new Set(['Get', 'Post', 'Put', 'Patch', 'Delete', 'All', 'Options', 'Head']);

/**
 * An exported function shaped like a route handler or middleware, `(req, res)` or `(req, res, next)` with no type
 * that says otherwise: it is registered by code outside the reviewed files (a router file, a framework loader), so
 * its parameters are the request and the response even though no registration is in sight.
 */
function looksLikeHandler(node: t.Function): boolean {
  const [first, second, third] = node.params;
  if (first?.type !== 'Identifier' || second?.type !== 'Identifier') return false;
  if (first.typeAnnotation !== null && first.typeAnnotation !== undefined) return false;
  if (node.params.length > 3 || (third !== undefined && (third.type !== 'Identifier' || !/^next$/.test(third.name)))) return false;
  return /^req(uest)?$/.test(first.name) && /^res(ponse)?$/.test(second.name);
}
