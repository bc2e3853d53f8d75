/**
 * Which functions are request handlers, and which framework object each of their parameters is. A parameter is a
 * source only when the function is clearly a handler (registered on a router, typed with the framework's request
 * type, decorated by NestJS, exported as a Next.js route handler): a helper's parameter named `req` is not the request
 * by name alone, so callers decide what flows into it.
 */

export type Framework = 'express' | 'koa' | 'fastify' | 'hono' | 'node' | 'next' | 'next-pages';

const FRAMEWORK_MODULES: Readonly<Record<string, Framework>> = {
  express: 'express',
  koa: 'koa',
  '@koa/router': 'koa',
  'koa-router': 'koa',
  fastify: 'fastify',
  hono: 'hono',
  'hono/factory': 'hono',
  '@hono/node-server': 'hono',
  http: 'node',
  https: 'node',
  http2: 'node',
  'next/server': 'next',
  next: 'next-pages',
};

/** The roles of a handler's parameters, by framework. */
const HANDLER_ROLES: Readonly<Record<Framework, readonly (string | undefined)[]>> = {
  express: ['express.req', 'express.res'],
  'next-pages': ['express.req', 'express.res'],
  koa: ['koa.ctx'],
  fastify: ['fastify.request', 'fastify.reply'],
  hono: ['hono.c'],
  node: ['node.req', 'node.res'],
  next: ['next.request', 'next.context'],
};

/** Methods that register route handlers or middleware. */
export const ROUTE_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'all', 'options', 'head', 'use', 'on', 'any']);

/** Receiver names that are routers or apps even when their origin is out of sight (a router passed in). */
export const ROUTER_NAME = /^(app|api|router|server|fastify|instance|routes?|r|v\d|admin|koa|hono|http)$/i;

/** HTTP method names exported by Next.js App Router route handlers. */
export const NEXT_ROUTE_EXPORTS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** Framework types that make a parameter a framework object wherever it appears (`req: Request` from express). */
const TYPED_ROLES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  express: { Request: 'express.req', Response: 'express.res' },
  fastify: { FastifyRequest: 'fastify.request', FastifyReply: 'fastify.reply' },
  koa: { Context: 'koa.ctx', ParameterizedContext: 'koa.ctx', DefaultContext: 'koa.ctx' },
  '@koa/router': { RouterContext: 'koa.ctx' },
  'koa-router': { RouterContext: 'koa.ctx' },
  hono: { Context: 'hono.c' },
  next: { NextApiRequest: 'express.req', NextApiResponse: 'express.res' },
  'next/server': { NextRequest: 'next.request' },
  http: { IncomingMessage: 'node.req', ServerResponse: 'node.res' },
};

/** The framework a module belongs to, if it is a web framework. */
export function frameworkOfModule(module: string): Framework | undefined {
  return FRAMEWORK_MODULES[module];
}

/** The role a parameter typed with `typeName` imported from `module` has, if any. */
export function roleOfType(module: string, typeName: string): string | undefined {
  return TYPED_ROLES[module]?.[typeName];
}

/**
 * The framework of a handler: the one web framework the file imports, else the parameter names people use with
 * each framework (`c` for Hono, `ctx` for Koa, `reply` for Fastify), else Express.
 */
export function handlerFramework(imported: ReadonlySet<Framework>, params: readonly string[]): Framework {
  const servers = [...imported].filter((framework) => framework !== 'node' && framework !== 'next' && framework !== 'next-pages');
  const [first, second] = params;
  if (servers.length === 1 && servers[0] !== undefined) return servers[0];
  if (first === 'c') return 'hono';
  if (first === 'ctx' || first === 'context') return 'koa';
  if (second === 'reply' || second === 'rep') return 'fastify';
  if (servers.length > 1 && imported.has('express')) return 'express';
  return 'express';
}

/** Roles of the parameters of a handler of `framework`. */
export function handlerRoles(framework: Framework): readonly (string | undefined)[] {
  return HANDLER_ROLES[framework];
}
