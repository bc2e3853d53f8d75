import { CompiledSchema, compile, Type, type TSchema } from '@rampart/core/validate';

/** The RFC 9457 problem body every error response of the API has. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'URI of the problem type' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    code: Type.Optional(Type.String({ description: 'Stable machine-readable code, e.g. auth.step_up_required' })),
    correlationId: Type.String({ description: 'Quote it when reporting a problem; the server logs everything else under it' }),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details (application/problem+json)' },
);

const REASONS: Readonly<Record<number, string>> = {
  400: 'The request is malformed or does not match the schema',
  401: 'No valid credential',
  403: 'Not allowed (CSRF, step-up required, missing scope or role)',
  404: 'Not found (also for what exists but is not the caller’s)',
  409: 'Conflict with the current state',
  412: 'Precondition failed (stale version)',
  413: 'Body too large',
  415: 'Unsupported media type',
  429: 'Rate limited (see Retry-After)',
  503: 'Busy or not ready (see Retry-After)',
};

/**
 * Response entries for a route's `schema.response`: `200: ok` plus problem responses for `statuses`. Documentation of
 * what the route answers; the problem bodies themselves are always built by the server's problem code.
 */
export function responses(success: Readonly<Record<number, TSchema>>, ...statuses: readonly number[]): Record<number, TSchema | { description: string; content: Record<string, { schema: TSchema }> }> {
  const entries: Record<number, TSchema | { description: string; content: Record<string, { schema: TSchema }> }> = { ...success };
  for (const status of statuses) {
    entries[status] = { description: REASONS[status] ?? 'Error', content: { 'application/problem+json': { schema: ProblemSchema } } };
  }
  return entries;
}

/** The credentials a route takes, as named in the document's security schemes (openapi/index.ts). */
export type Credential = 'session' | 'bearer' | 'apiKey';

/** A schema to document: a compiled core schema (what the handler checks with), or a TypeBox schema. */
export type DocumentedSchema = CompiledSchema<unknown> | TSchema;

/** What a route's entry in the OpenAPI document says. */
export interface RouteDoc {
  readonly tags: readonly string[];
  readonly summary: string;
  readonly description?: string;
  /** The credentials that may call it; none: anonymous. */
  readonly security?: readonly Credential[];
  /** The request body as the handler checks it. */
  readonly body?: DocumentedSchema;
  /** Media types of the body. Default `application/json`. */
  readonly bodyMediaTypes?: readonly string[];
  readonly params?: DocumentedSchema;
  readonly querystring?: DocumentedSchema;
  /** `responses(...)` entries. */
  readonly responses?: ReturnType<typeof responses>;
}

/** Where a documented route keeps what only the document reads (Fastify validates `body`, `params`, … — not this). */
export const DOC_KEY = 'x-rampart-doc';

/** Definitions of documented schemas (cyclic ones), merged into `components.schemas`. */
export const documentedComponents = new Map<string, unknown>();

function openApiOf(schema: DocumentedSchema): unknown {
  const compiled = schema instanceof CompiledSchema ? schema : compile(schema);
  const converted = compiled.toOpenApi();
  for (const [name, definition] of Object.entries(converted.components)) documentedComponents.set(name, definition);
  return converted.schema;
}

/**
 * Route options that document a route in `/openapi.json` without changing how it validates: for handlers that check
 * their input themselves (with a compiled core schema, coercion, or an RFC-mandated error shape such as OAuth's), the
 * schemas are converted with core's `toOpenApi()` — the very schema the handler runs — and kept under
 * {@link DOC_KEY}, which only the document generator reads.
 */
export function documented(doc: RouteDoc): { schema: Record<string, unknown> } {
  const extra: Record<string, unknown> = {};
  if (doc.body !== undefined) extra.body = openApiOf(doc.body);
  if (doc.params !== undefined) extra.params = openApiOf(doc.params);
  if (doc.querystring !== undefined) extra.querystring = openApiOf(doc.querystring);
  if (doc.bodyMediaTypes !== undefined) extra.consumes = [...doc.bodyMediaTypes];
  return {
    schema: {
      tags: [...doc.tags],
      summary: doc.summary,
      ...(doc.description === undefined ? {} : { description: doc.description }),
      ...(doc.security === undefined ? {} : { security: doc.security.map((name) => ({ [name]: [] })) }),
      ...(doc.responses === undefined ? {} : { response: doc.responses }),
      [DOC_KEY]: extra,
    },
  };
}
