import { problem, type Problem } from '../problem/problem.js';

/** Why a body was refused. Stable codes, part of the public API; each maps to one problem. */
export type BodyRefusal =
  | 'too_large'
  | 'unsupported_media_type'
  | 'unsupported_encoding'
  | 'bad_framing'
  | 'not_allowed'
  | 'incomplete'
  | 'invalid_json'
  | 'too_deep'
  | 'too_many_keys'
  | 'forbidden_key'
  | 'duplicate_key';

const BAD_REQUEST = 'Bad Request';

// One frozen problem per reason, built once: refusals allocate nothing and can never carry request data.
const PROBLEMS: Readonly<Record<BodyRefusal, Problem>> = Object.freeze({
  too_large: problem(413, 'body-too-large', 'Content Too Large', {
    code: 'body.too_large',
    detail: 'The request body is larger than this endpoint accepts.',
  }),
  unsupported_media_type: problem(415, 'unsupported-media-type', 'Unsupported Media Type', {
    code: 'body.unsupported_media_type',
    detail: 'The request body has a media type this endpoint does not accept.',
  }),
  unsupported_encoding: problem(415, 'unsupported-content-encoding', 'Unsupported Media Type', {
    code: 'body.unsupported_encoding',
    detail: 'The request body has a content coding this endpoint does not accept.',
    // RFC 7694 §3: a 415 caused by the content coding names the codings that would be accepted.
    headers: { 'accept-encoding': 'identity' },
  }),
  bad_framing: problem(400, 'body-framing', BAD_REQUEST, {
    code: 'body.bad_framing',
    detail: 'The Content-Length or Transfer-Encoding of the request is invalid.',
  }),
  not_allowed: problem(400, 'body-not-allowed', BAD_REQUEST, {
    code: 'body.not_allowed',
    detail: 'This request method does not take a body.',
  }),
  incomplete: problem(400, 'body-incomplete', BAD_REQUEST, {
    code: 'body.incomplete',
    detail: 'The request body ended before it was complete.',
  }),
  invalid_json: problem(400, 'invalid-json', BAD_REQUEST, {
    code: 'body.invalid_json',
    detail: 'The request body is not valid UTF-8 JSON.',
  }),
  too_deep: problem(400, 'json-too-deep', BAD_REQUEST, {
    code: 'body.too_deep',
    detail: 'The request body is nested more deeply than this endpoint accepts.',
  }),
  too_many_keys: problem(400, 'json-too-many-members', BAD_REQUEST, {
    code: 'body.too_many_keys',
    detail: 'The request body has more members than this endpoint accepts.',
  }),
  duplicate_key: problem(400, 'json-duplicate-key', BAD_REQUEST, {
    code: 'body.duplicate_key',
    // RFC 8259 §4 leaves duplicate names to the parser; two parsers reading one body differently is a smuggling vector.
    detail: 'The request body names a member of one object twice.',
  }),
  forbidden_key: problem(400, 'json-forbidden-key', BAD_REQUEST, {
    code: 'body.forbidden_key',
    detail: 'The request body contains a forbidden property name.',
  }),
});
for (const value of Object.values(PROBLEMS)) Object.freeze(value);

/**
 * The RFC 9457 problem for a refused body: a fixed title, status and code per reason (413, 415 or 400), and a detail
 * that never repeats the body, the header or the parser's message — those could echo attacker input or reveal
 * internals. The correlation id is added when the problem is sent (`problemBody`).
 */
export function bodyProblem(reason: BodyRefusal): Problem {
  return PROBLEMS[reason];
}
