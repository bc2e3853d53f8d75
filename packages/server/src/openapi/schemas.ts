import { Type, type TSchema } from '@rampart/core/validate';

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
