import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import { compile, validationProblem, type CompiledSchema, type TSchema } from '@rampart/core/validate';
import { ProblemError } from '@rampart/fastify';
import type { FastifyInstance } from 'fastify';
import { renderDocsPage } from './docs-page.js';
import { DOC_KEY, documentedComponents } from './schemas.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** Where the API contract is served. */
export const OPENAPI_PATH = '/openapi.json';
/** The human-readable page of the same contract. */
export const DOCS_PATH = '/docs';

/** Security schemes routes name in `schema.security`. */
export const SECURITY = {
  /** The browser session cookie (plus the CSRF token on unsafe methods). */
  session: { session: [] as string[] },
  /** `Authorization: Bearer <access token>` (RFC 9068 JWT). */
  bearer: { bearer: [] as string[] },
  /** `Authorization: Bearer <API key>`. */
  apiKey: { apiKey: [] as string[] },
} as const;

/**
 * Route schemas are one source for two things: the request is validated with `@rampart/core/validate` (closed objects,
 * bounded strings, the same rules as every other Rampart check — not Fastify's default Ajv), and the OpenAPI document
 * is generated from them. A refused request is the RFC 9457 validation problem with the failing JSON Pointers, never the
 * rejected value.
 */
export function useCoreValidation(app: FastifyInstance): void {
  const cache = new WeakMap<object, CompiledSchema<unknown>>();
  app.setValidatorCompiler(({ schema }) => {
    let compiled = cache.get(schema);
    if (compiled === undefined) {
      const fresh: CompiledSchema<unknown> = compile(schema as TSchema);
      compiled = fresh;
      cache.set(schema, compiled);
    }
    const check = compiled;
    return (data: unknown) => {
      const result = check.check(data);
      return result.ok ? { value: result.value } : { error: new ProblemError(validationProblem(result.issues)) };
    };
  });
}

/**
 * Registers the OpenAPI 3.1 generator (`@fastify/swagger`, fed by every route's `schema`) and core validation of those
 * schemas. Call before any route is declared: routes declared earlier are not in the document. Then
 * {@link serveOpenApi} once every route exists.
 */
export async function registerOpenApi(app: FastifyInstance, publicUrl: string): Promise<void> {
  useCoreValidation(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Rampart',
        version,
        description:
          'Accounts, login with MFA and passkeys, sessions, tokens, API keys, authorization decisions and a tamper-evident audit trail. Errors are RFC 9457 problem details (`application/problem+json`).',
      },
      servers: [{ url: publicUrl }],
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: '__Host-rampart_session', description: 'Browser session; unsafe methods also need the `x-csrf-token` header (GET /v1/csrf).' },
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'RFC 9068 access token from POST /v1/login (delivery tokens) or POST /v1/token.' },
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (POST /v1/api-keys), for services.' },
        },
      },
    },
    // Probes and the contract itself are not part of the API.
    // (`schema` is absent at run time for routes declared without one, whatever the types say.) Documentation-only
    // schemas (`documented()` in schemas.ts) become the operation's body and parameters here, in the document only.
    transform: ({ schema, url }) => {
      const declared = (schema as typeof schema | undefined) ?? {};
      const { [DOC_KEY]: doc, ...rest } = declared as Record<string, unknown>;
      return { schema: { ...rest, ...(doc as Record<string, unknown> | undefined), hide: declared.hide === true || (!url.startsWith('/v1') && !url.startsWith('/.well-known')) }, url };
    },
    transformObject: (documentObject) => {
      if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
      const document = documentObject.openapiObject;
      const components = (document.components ??= {});
      components.schemas = { ...components.schemas, ...(Object.fromEntries(documentedComponents) as Record<string, object>) };
      return document;
    },
  });
}

/** `GET /openapi.json` (the OpenAPI 3.1 document) and `GET /docs` (the same as a plain HTML page, no script). */
export function serveOpenApi(app: FastifyInstance): void {
  let document: string | undefined;
  let page: string | undefined;
  const contract = (): Record<string, unknown> => app.swagger() as unknown as Record<string, unknown>;
  app.get(OPENAPI_PATH, { schema: { hide: true } }, (_request, reply) => {
    document ??= JSON.stringify(contract());
    return reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', 'public, max-age=300').send(document);
  });
  app.get(DOCS_PATH, { schema: { hide: true } }, (_request, reply) => {
    page ??= renderDocsPage(contract());
    return reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'public, max-age=300').send(page);
  });
}
