import type { Result } from '../../result.js';
import { bodyProblem } from '../body/index.js';
import { problem, type Problem } from '../problem/problem.js';

/** Most fields read from one form; far above any real form, far below what costs CPU. */
export const DEFAULT_MAX_FORM_FIELDS = 1000;

/** A parsed `application/x-www-form-urlencoded` body: a repeated field becomes a list. No prototype. */
export type FormFields = Readonly<Record<string, string | readonly string[]>>;

/** Why a form body was refused. */
export type FormRefusal = 'invalid_form' | 'too_many_keys';

/** Fatal: invalid UTF-8 is refused, not replaced, so two parsers cannot read two different forms. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

const INVALID_FORM: Problem = Object.freeze(
  problem(400, 'invalid-form', 'Bad Request', { code: 'body.invalid_form', detail: 'The request body is not a valid UTF-8 form.' }),
);

/** The problem for a refused form body; fixed per reason, never an echo of the body. */
export function formProblem(reason: FormRefusal): Problem {
  return reason === 'invalid_form' ? INVALID_FORM : bodyProblem('too_many_keys');
}

/**
 * Parses an untrusted urlencoded form body and never throws.
 *
 * Protects against prototype pollution (the result has no prototype, so a field named `__proto__` or `constructor`
 * is only a field), against CPU exhaustion by forms with huge numbers of fields (`maxFields`), and against parser
 * confusion through invalid UTF-8. Repeated fields become lists, never "first wins" or "last wins", so a consumer
 * expecting one value (a CSRF token) sees the repetition and can refuse it.
 */
export function parseForm(bytes: Uint8Array, maxFields: number = DEFAULT_MAX_FORM_FIELDS): Result<FormFields, FormRefusal> {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return { ok: false, reason: 'invalid_form' };
  }
  // URLSearchParams decodes percent-escapes leniently (`%FF` becomes U+FFFD): the bytes must be valid UTF-8 after
  // percent-decoding too, or a proxy and this parser could read two different values (and `%FF` and `%FE` the same).
  // `decodeURIComponent` is the platform's strict decoder: it throws on escapes that are not UTF-8, and on malformed
  // escapes (`%G1`, a lone `%`), which no browser sends.
  for (const segment of text.split('&')) {
    if (!segment.includes('%')) continue;
    try {
      decodeURIComponent(segment.replaceAll('+', ' '));
    } catch {
      return { ok: false, reason: 'invalid_form' };
    }
  }
  const form = Object.create(null) as Record<string, string | string[]>;
  let count = 0;
  for (const [name, value] of new URLSearchParams(text)) {
    count += 1;
    if (count > maxFields) return { ok: false, reason: 'too_many_keys' };
    const existing = form[name];
    if (existing === undefined) form[name] = value;
    else if (typeof existing === 'string') form[name] = [existing, value];
    else existing.push(value);
  }
  return { ok: true, value: form };
}
