import { securityEvent } from '../../events.js';
import { deny, type Deny, type GuardContext } from '../chain/types.js';
import { problem } from '../problem/problem.js';

/** Why a request was refused; the problem's `code` is `csrf.<reason>` and the `http.csrf.refused` event names it. */
export type CsrfRefusal =
  | 'cross_site'
  | 'same_site'
  | 'fetch_metadata_invalid'
  | 'origin_null'
  | 'origin_not_allowed'
  | 'referer_not_allowed'
  | 'origin_missing'
  | 'token_missing'
  | 'cookie_missing'
  | 'token_mismatch'
  | 'token_invalid'
  | 'form_token_missing'
  | 'not_checked';

const REASONS: readonly CsrfRefusal[] = [
  'cross_site',
  'same_site',
  'fetch_metadata_invalid',
  'origin_null',
  'origin_not_allowed',
  'referer_not_allowed',
  'origin_missing',
  'token_missing',
  'cookie_missing',
  'token_mismatch',
  'token_invalid',
  'form_token_missing',
  'not_checked',
];

/*
 * One detail for every refusal: the client learns it was CSRF protection (so a developer knows where to look) and a
 * stable code, never the value that failed. The operator gets the reason and the method in the event.
 */
const DETAIL = 'The request was refused by cross-site request forgery protection. Quote the correlation id when reporting this.';

/** Deny verdicts built once: refusing allocates nothing but the event. */
const DENIALS: ReadonlyMap<CsrfRefusal, Deny> = new Map(
  REASONS.map((reason) => [reason, Object.freeze(deny(problem(403, 'csrf', 'Forbidden', { detail: DETAIL, code: `csrf.${reason}` })))]),
);

/** Reports the refusal and returns the matching 403 verdict. */
export function refuse(context: GuardContext, method: string, reason: CsrfRefusal): Deny {
  context.emit(securityEvent('http.csrf.refused', undefined, { reason, method: method.length > 16 ? method.slice(0, 16) : method }));
  const verdict = DENIALS.get(reason);
  // Every reason is in the table; the fallback keeps the type checker honest without a non-null assertion.
  return verdict ?? deny(problem(403, 'csrf', 'Forbidden', { detail: DETAIL, code: 'csrf.refused' }));
}
