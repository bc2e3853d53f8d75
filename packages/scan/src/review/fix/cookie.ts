/**
 * Cookie flags (CWE-614, CWE-1004, CWE-1275): a session cookie without `httpOnly` is readable by any injected script,
 * without `secure` it travels over plain HTTP, without `sameSite` it rides cross-site requests. The fix adds
 * `httpOnly: true, secure: true, sameSite: 'lax'` to `res.cookie(…)`, `reply.setCookie(…)`, `ctx.cookies.set(…)`,
 * `cookie.serialize(…)` and express-session's `cookie:` options, keeping every key already there. A cookie that is
 * deliberately cross-site (`sameSite: 'none'`) keeps that and gets `secure: true`, which browsers require for it.
 *
 * Refused: a flag explicitly turned off (`httpOnly: false` is how a cookie scripts must read — a CSRF token — is
 * written; that needs a person's decision), options not written in the call or spreading others in, cookie-session
 * (whose flags are top-level options, not a `cookie:` object).
 */
import type * as t from '@babel/types';
import { importedBinding, keyName, propertyOf, staticString } from './ast.js';
import { insertAt, propose, refuse, type FixAttempt, type FixContext } from './attempt.js';
import { addProperties } from './jwt.js';
import type { OffsetEdit } from './text.js';

const SAFE_FLAGS: readonly (readonly [string, string])[] = [
  ['httpOnly', 'true'],
  ['secure', 'true'],
  ['sameSite', "'lax'"],
];

type Literal = string | boolean | number | null | undefined;

/** The value of a literal written in the code, or undefined when the node is not one (set from configuration). */
function literalOf(node: t.Node): { readonly value: Literal } | undefined {
  const text = staticString(node);
  if (text !== undefined) return { value: text };
  if (node.type === 'BooleanLiteral' || node.type === 'NumericLiteral') return { value: node.value };
  if (node.type === 'NullLiteral') return { value: null };
  if (node.type === 'Identifier' && node.name === 'undefined') return { value: undefined };
  return undefined;
}

/** The flags to add to a written options object, or why not. */
function missingFlags(options: t.ObjectExpression): string[] | string {
  if (options.properties.some((property) => property.type !== 'ObjectProperty' || property.computed || keyName(property.key) === undefined)) {
    return 'the cookie options spread or compute keys, which may already set the flags';
  }
  const add: string[] = [];
  for (const [flag, value] of SAFE_FLAGS) {
    const property = propertyOf(options, flag);
    if (property === undefined) {
      add.push(`${flag}: ${value}`);
      continue;
    }
    const literal = literalOf(property.value);
    if (literal === undefined) continue; // set from configuration: the rule does not flag it, and neither does the fix
    if (flag === 'sameSite') continue; // 'strict', 'lax' or a deliberate 'none': kept (and 'none' gets secure below)
    if (!literal.value) {
      return `${flag} is explicitly turned off; if the cookie must be ${flag === 'httpOnly' ? 'readable by scripts' : 'sent over plain HTTP'}, that is a decision to record, not to undo mechanically`;
    }
  }
  if (add.length === 0) {
    return "the options already set every flag (sameSite 'none' marks a deliberately cross-site cookie; change it only if it is not)";
  }
  return add;
}

function describe(flags: readonly string[]): string {
  return `Set the cookie flags: ${flags.join(', ')} (no script access, HTTPS only, not sent on cross-site requests).`;
}

/** `res.cookie(name, value[, options])` and its kin: the options are the third argument. */
function fixCookieCall(args: readonly t.Node[]): FixAttempt {
  if (args.length < 2) return refuse('the cookie call has no value argument');
  const options = args[2];
  if (options === undefined) {
    const value = args[1];
    const flags = SAFE_FLAGS.map(([flag, literal]) => `${flag}: ${literal}`);
    return propose(describe(flags), [insertAt(value?.end ?? 0, `, { ${flags.join(', ')} }`)]);
  }
  if (options.type !== 'ObjectExpression') return refuse('the cookie options are not written in the call; set the flags where they are built');
  const add = missingFlags(options);
  if (typeof add === 'string') return refuse(add);
  return propose(describe(add), [addProperties(options, add)]);
}

/** `session({ … })` from express-session: the flags go in its `cookie:` option. */
function fixSessionCall(context: FixContext, args: readonly t.Node[]): FixAttempt {
  const { node } = context.call;
  const callee = node.callee;
  const module = callee.type === 'Identifier' ? importedBinding(context.ast, callee.name)?.module : undefined;
  if (module !== 'express-session') {
    return refuse(module === 'cookie-session' ? "cookie-session takes secure/httpOnly/sameSite as top-level options, not in cookie:; set them there" : 'the session middleware is not imported from express-session in this file');
  }
  const options = args[0];
  if (options?.type !== 'ObjectExpression') return refuse('the session options are not written in the call');
  if (options.properties.some((property) => property.type !== 'ObjectProperty' || property.computed)) return refuse('the session options spread or compute keys');
  const cookie = propertyOf(options, 'cookie');
  if (cookie === undefined) {
    const flags = SAFE_FLAGS.map(([flag, literal]) => `${flag}: ${literal}`);
    return propose(describe(flags), [addProperties(options, [`cookie: { ${flags.join(', ')} }`])]);
  }
  if (cookie.value.type !== 'ObjectExpression') return refuse('the session cookie options are not written in the call');
  const add = missingFlags(cookie.value);
  if (typeof add === 'string') return refuse(add);
  const edits: OffsetEdit[] = [addProperties(cookie.value, add)];
  return propose(describe(add), edits);
}

/** The `insecure-cookie` fixes. */
export function fixInsecureCookie(context: FixContext): FixAttempt {
  const { node } = context.call;
  const args = node.arguments;
  if (args.some((arg) => arg.type === 'SpreadElement' || arg.type === 'ArgumentPlaceholder')) return refuse('the call spreads its arguments');
  if (context.finding.ruleId === 'insecure-cookie/session-cookie') return fixSessionCall(context, args);
  const attempt = fixCookieCall(args);
  if (attempt.kind === 'fix' && context.finding.ruleId === 'insecure-cookie/koa-cookie-flags') {
    // Koa throws rather than send a secure cookie on a connection it cannot see is HTTPS.
    return { ...attempt, description: `${attempt.description} Koa sends secure cookies only over HTTPS it can see: behind a TLS proxy, set app.proxy = true.` };
  }
  return attempt;
}
