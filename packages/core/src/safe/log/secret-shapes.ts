import { redactCardGroups } from './luhn.js';
import { isSecretKey } from './secret-keys.js';

/** What a redacted value is replaced with when its field name gave it away. */
export const REDACTED = '[REDACTED]';

/** The kinds of secret recognised by shape; each is replaced by `[REDACTED:<kind>]`. */
export type SecretShape = 'private-key' | 'jwt' | 'bearer' | 'api-key' | 'aws-access-key' | 'token' | 'url-password' | 'card';

const marker = (kind: SecretShape): string => `[REDACTED:${kind}]`;

interface ShapeRule {
  readonly pattern: RegExp;
  readonly replace: (match: string, ...groups: string[]) => string;
}

/*
 * Order matters: a PEM block first (it spans lines and contains base64 that other rules would cut into pieces), then
 * the specific token formats, then URLs, then `name=value` pairs, then card numbers. Every pattern is linear: no nested
 * unbounded quantifiers over the same characters.
 */
const SHAPES: readonly ShapeRule[] = [
  // RFC 7468 PEM: PKCS#1/#8, SEC1, OpenSSH and PGP private keys. A block cut short (no END line) is redacted to the end.
  {
    pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)/g,
    replace: () => marker('private-key'),
  },
  // JWS compact (3 parts) and JWE compact (5 parts), RFC 7515/7516: the header is base64url JSON, so it starts `eyJ`.
  {
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*){1,3}/g,
    replace: () => marker('jwt'),
  },
  // Rampart API keys, `<prefix>_<id>_<secret><checksum>` (token/apikey), with lengths loosened so near-misses go too.
  {
    pattern: /(?<![A-Za-z0-9_])[a-z][a-z0-9]{1,9}_[0-9A-Za-z]{16,32}_[0-9A-Za-z]{32,64}(?![A-Za-z0-9_])/g,
    replace: () => marker('api-key'),
  },
  // AWS access key ids: long-term (AKIA), temporary (ASIA) and the other documented prefixes.
  {
    pattern: /(?<![A-Z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])/g,
    replace: () => marker('aws-access-key'),
  },
  // Well-known vendor tokens that secret scanners look for: GitHub, Slack, Stripe, Google API keys, npm.
  {
    pattern:
      /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}|xox[abposr]-[A-Za-z0-9-]{10,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{35}|npm_[A-Za-z0-9]{36})/g,
    replace: () => marker('token'),
  },
  // RFC 6750 Bearer credentials anywhere (headers copied into messages, curl command lines).
  {
    pattern: /\b(Bearer)(\s+)[A-Za-z0-9\-._~+/]+=*/gi,
    replace: (_match, scheme = '', space = '') => `${scheme}${space}${marker('bearer')}`,
  },
  // RFC 7617 Basic credentials: base64 of `user:password`, told from prose ("Basic plan") by digits, `+/=` or mixed case.
  {
    pattern: /\b(Basic)(\s+)([A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9+/=])/gi,
    replace: (match, scheme = '', space = '', credentials = '') =>
      /[0-9+/=]|[a-z][A-Z]/.test(credentials) ? `${scheme}${space}${marker('bearer')}` : match,
  },
  // Userinfo passwords in any URL (RFC 3986 §3.2.1 deprecates them; connection strings still carry them).
  {
    // The scheme is bounded (RFC 3986 schemes are short): unbounded, every word boundary rescanned the rest of a long
    // alphanumeric run before failing on the missing "://" — quadratic time on crafted input.
    pattern: /\b([a-z][a-z0-9+.-]{0,63}:\/\/[^\s/?#@:]*):([^\s/?#]*)@/gi,
    replace: (_match, prefix = '') => `${prefix}:${marker('url-password')}@`,
  },
];

/**
 * Match wherever at least one shape rule would: the rules' patterns as alternations, one per flag set (a rule's flags
 * must stay its own — under `i`, a lookaround like `(?<![A-Z0-9])` would refuse more, not less). Most log and audit
 * strings hold no secret; a scan or two of these instead of a replace pass per rule keeps redaction cheap for them, and
 * skips the passes only when no rule would match.
 */
const ANY_SHAPE: readonly RegExp[] = [...new Set(SHAPES.map((rule) => rule.pattern.flags.replace('g', '')))].map(
  (flags) =>
    new RegExp(
      SHAPES.filter((rule) => rule.pattern.flags.replace('g', '') === flags)
        .map((rule) => `(?:${rule.pattern.source})`)
        .join('|'),
      flags,
    ),
);

/** Every pair needs a `:` or `=` separator (see {@link PAIR_HEAD}). */
const PAIR_SEPARATOR = /[:=]/;

/*
 * `name=value`, `name: value`, `"name": "value"` and `name='value'` pairs. The name is judged by isSecretKey; after a
 * tight `=` a bare value ends at whitespace or `&` (query strings); after `:` or a spaced ` = ` at the end of the line,
 * `,` or `;` (headers, YAML, .ini and .properties files).
 */
// The pattern finds a name and its separator only; the value is measured by valueEnd, and only for secret names. A
// value inside the pattern made every non-secret name rescan the rest of a long run (`x:x:x:…`, quadratic time).
const PAIR_HEAD = /(?<![A-Za-z0-9_.-])([A-Za-z_][A-Za-z0-9_.-]{0,63})(["']?[ \t]{0,8}[:=][ \t]{0,8})/g;

/** Characters that end a bare (unquoted) value. */
const BARE_VALUE_END = new Set(['\r', '\n', ',', ';', '}', ']', '"', "'", '<', '>']);

/**
 * Where the value starting at `start` ends: after its closing quote for a quoted value (backslash escapes honoured;
 * an unterminated quote runs to the end of the line, so its secret is still covered), at the first of
 * {@link BARE_VALUE_END} for a bare one. `start` when there is no value.
 */
function valueEnd(text: string, start: number): number {
  const quote = text.charAt(start);
  if (quote === '"' || quote === "'") {
    for (let i = start + 1; i < text.length; i += 1) {
      const c = text.charAt(i);
      if (c === '\\') i += 1;
      else if (c === quote) return i + 1;
      else if (c === '\r' || c === '\n') return i;
    }
    return text.length;
  }
  let i = start;
  while (i < text.length && !BARE_VALUE_END.has(text.charAt(i))) i += 1;
  return i;
}

function redactPairs(text: string, extraKeys: readonly string[]): string {
  const pair = new RegExp(PAIR_HEAD); // own lastIndex per call
  let out = '';
  let last = 0;
  for (let match = pair.exec(text); match !== null; match = pair.exec(text)) {
    const [, name = '', separator = ''] = match;
    const valueStart = match.index + name.length + separator.length;
    // Not a secret name: keep scanning *inside* the value, which may hold pairs of its own (`url: /x?token=abc`).
    if (!isSecretKey(name, extraKeys) || text.startsWith('[REDACTED', valueStart)) continue;
    const end = valueEnd(text, valueStart);
    if (end === valueStart) continue;
    const value = text.slice(valueStart, end);
    let secretEnd = end;
    let replacement = REDACTED;
    if (value.startsWith('"') || value.startsWith("'")) {
      replacement = `${value.charAt(0)}${REDACTED}${value.endsWith(value.charAt(0)) && value.length > 1 ? value.charAt(0) : ''}`;
    } else {
      // `a=b&c=d` or `a=b c=d`: a tight `=` is a query string or a key=value list; the value ends at space or `&`.
      const tight = !separator.includes(':') && !/[ \t]/.test(separator);
      let secret = tight ? (/^[^\s&)]+/.exec(value)?.[0] ?? value) : value;
      // `Authorization: Basic [REDACTED:bearer]`: stop before a marker an earlier rule left, keep the marker.
      const marker = secret.indexOf('[REDACTED');
      if (marker > 0) secret = secret.slice(0, marker);
      secret = secret.trimEnd();
      if (secret === '') continue;
      secretEnd = valueStart + secret.length;
    }
    pair.lastIndex = secretEnd;
    out += text.slice(last, valueStart) + replacement;
    last = secretEnd;
  }
  return out + text.slice(last);
}

// Delimited by anything but letters and digits: a digit run glued to letters is part of an identifier (a UUID's groups,
// a hex id), and cutting a Luhn-valid stretch out of it corrupts correlation ids without protecting any card.
const CARD = /(?<![0-9A-Za-z])[0-9](?:[ -]?[0-9]){12,30}(?![0-9A-Za-z])/g;

function redactCards(text: string): string {
  return text.replace(CARD, (run) => {
    const groups = run.split(/[ -]/);
    const separators = run.match(/[ -]/g) ?? [];
    return redactCardGroups(groups, separators, marker('card'));
  });
}

export interface RedactTextOptions {
  /** More field names to treat as secret in `name=value` text, matched like the built-in ones (see `isSecretKey`). */
  readonly secretKeys?: readonly string[];
}

/**
 * Replaces secrets found by their shape anywhere in a string: PEM private keys, JWTs, Bearer/Basic credentials,
 * Rampart API keys, AWS access key ids, GitHub/Slack/Stripe/Google/npm tokens, passwords in URLs, values of secret-named
 * `name=value` pairs, and payment card numbers (13-19 digits, spaces or dashes, Luhn-checked). Protects against
 * credentials reaching logs inside free text: an error message, a URL, a copied header, a request body.
 */
export function redactText(text: string, options: RedactTextOptions = {}): string {
  let out = text;
  if (ANY_SHAPE.some((any) => any.test(out))) for (const rule of SHAPES) out = out.replace(rule.pattern, rule.replace);
  if (PAIR_SEPARATOR.test(out)) out = redactPairs(out, options.secretKeys ?? []);
  return redactCards(out);
}

/** @internal {@link redactText} without its pre-filters: every pass always runs. The property test holds them equal. */
export function redactTextEveryPass(text: string, options: RedactTextOptions = {}): string {
  let out = text;
  for (const rule of SHAPES) out = out.replace(rule.pattern, rule.replace);
  out = redactPairs(out, options.secretKeys ?? []);
  return redactCards(out);
}

/** Whether `value` (a number, bigint or string of digits) is a payment card number, Luhn-checked. */
export function isCardNumberValue(value: number | bigint | string): boolean {
  return redactCards(String(value)) !== String(value);
}
