import { isCardNumberValue, isSecretKey, normalizeKeyName, REDACTED, redactText, sanitizeLogText } from '../safe/log/index.js';
import type { AuditEventJson } from './canonical.js';

/** What {@link redactAuditEvent} returns: the event as it will be hashed, and how many values it redacted. */
export interface RedactedAuditEvent {
  readonly event: AuditEventJson;
  /** Subject and attribute values changed by redaction (not counting values that were only escaped). */
  readonly redacted: number;
}

/*
 * Names that are secret only in the audit trail's vocabulary, on top of `isSecretKey` (safe/log): one-time and
 * recovery codes. `code` alone is secret; `statusCode`, `errorCode`, `reasonCode` and `countryCode` are not.
 */
const SECRET_CODE_NAMES = new Set([
  'code',
  'backupcode',
  'recoverycode',
  'verificationcode',
  'mfacode',
  'otpcode',
  'totpcode',
  'smscode',
  'emailcode',
  'resetcode',
  'authcode',
  'oauthcode',
  'confirmationcode',
]);

/*
 * Public identifiers of secret-bearing things, which Rampart's own events carry and an investigation needs: a WebAuthn
 * credential id (public by design, WebAuthn L3 §4), the id of a refresh token or API key (the lookup half, never the
 * secret half). `isSecretKey` would redact them for containing `credential`, `token` or `apikey`. `sessionId` is not
 * here: a session id is the bearer secret itself.
 */
const PUBLIC_ID_NAMES = new Set(['credentialid', 'tokenid', 'apikeyid']);

/**
 * Whether an attribute name holds a secret: `isSecretKey` (case- and separator-insensitive: password, passwd, secret,
 * token, apiKey, authorization, cookie, session, otp, pin, privateKey…) or a one-time-code name (`code`, `backupCode`…),
 * except the public identifiers `credentialId`, `tokenId` and `apiKeyId`. Protects against secrets logged because they
 * sat under an expected name.
 */
export function isAuditSecretKey(name: string): boolean {
  const normalized = normalizeKeyName(name);
  if (PUBLIC_ID_NAMES.has(normalized)) return false;
  return isSecretKey(name) || SECRET_CODE_NAMES.has(normalized);
}

/*
 * Values under these names identify public things (key ids, policy digests, versions) and are long hex or base64url by
 * design, so the generic entropy rule below leaves them alone. Every specific shape (JWT, API key, card…) still applies.
 */
function namesPublicDigest(name: string): boolean {
  return /(?:id|ids|kid|digest|hash|fingerprint|thumbprint|version)$/.test(normalizeKeyName(name));
}

/** At least 40 hex digits: longer than a UUID without dashes (32), so UUIDs and seq numbers are never touched. */
const LONG_HEX = /(?<![A-Za-z0-9_+/=:-])[0-9a-fA-F]{40,}(?![A-Za-z0-9_+/=-])/g;
/** At least 32 base64/base64url characters, judged further by {@link looksRandom}. */
const LONG_BASE64 = /(?<![A-Za-z0-9_+/=-])(?:[A-Za-z0-9+/]{32,}={0,2}|[A-Za-z0-9_-]{32,})(?![A-Za-z0-9_+/=-])/g;

/** Shannon entropy in bits per character of `text`. */
function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * A random token rather than a word, path or identifier. With a digit and both cases: at least 3.8 bits of entropy per
 * character (random base64 of 32+ characters measures 3.9 and up; `SELECT_FROM_USERS_WHERE_ID_42` about 3.9 but has no
 * lower case; `snake_case_words_2` about 3.7). Without a digit (0.4% of random 32-character tokens): both cases and at
 * least 4.5 bits, above what long CamelCase names reach (about 4.2).
 */
function looksRandom(run: string): boolean {
  const body = run.replace(/=+$/, '');
  if (!/[A-Z]/.test(body) || !/[a-z]/.test(body)) return false;
  return entropy(body) >= (/[0-9]/.test(body) ? 3.8 : 4.5);
}

/**
 * Redacts long unlabelled tokens that no specific rule knows: hex of 40+ digits unless labelled with a hash algorithm
 * (`sha256:…`), and base64/base64url runs of 32+ characters that look random.
 */
function redactHighEntropy(text: string): string {
  return text
    .replace(LONG_HEX, '[REDACTED:hex]')
    .replace(LONG_BASE64, (run) => (looksRandom(run) ? '[REDACTED:token]' : run));
}

/** How an attribute name is treated; names come from code and repeat in every event, so each is judged once. */
interface NameRule {
  readonly secret: boolean;
  readonly publicDigest: boolean;
  readonly escaped: string;
}

/** Bounded: a stream of distinct names (built from input) stops being cached rather than growing without limit. */
const MAX_CACHED_NAMES = 1024;
const nameRules = new Map<string, NameRule>();

function nameRule(name: string): NameRule {
  const cached = nameRules.get(name);
  if (cached !== undefined) return cached;
  const rule: NameRule = { secret: isAuditSecretKey(name), publicDigest: namesPublicDigest(name), escaped: sanitizeLogText(name, NO_CUT) };
  if (nameRules.size < MAX_CACHED_NAMES) nameRules.set(name, rule);
  return rule;
}

/** Escaping only: cutting is done before redaction, by {@link cutBeforeRedaction}. */
const NO_CUT = { maxLength: Number.MAX_SAFE_INTEGER };

/**
 * Longest subject or attribute value kept (UTF-16 code units). Audit values are ids, names and reasons; the bound keeps
 * the shape rules' cost per value small whatever an attacker sends (some shape rules are quadratic on crafted input).
 */
export const MAX_AUDIT_VALUE_LENGTH = 4096;

function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0x85 || code === 0xa0 || code === 0x2028 || code === 0x2029;
}

/**
 * Cuts a too-long value *before* redaction, then backs off over the last word and any digit groups before it, so a
 * secret or card number straddling the cut is dropped whole instead of leaving a prefix no shape rule recognises.
 */
function cutBeforeRedaction(value: string): { head: string; dropped: number } {
  if (value.length <= MAX_AUDIT_VALUE_LENGTH) return { head: value, dropped: 0 };
  let end = MAX_AUDIT_VALUE_LENGTH;
  while (end > 0 && !isSpace(value.charCodeAt(end - 1))) end--;
  while (end > 0 && /[0-9 -]/.test(value.charAt(end - 1))) end--;
  return { head: value.slice(0, end), dropped: value.length - end };
}

interface RedactedString {
  readonly text: string;
  readonly changed: boolean;
}

/*
 * Values repeat across an audit stream (account ids, addresses, resource kinds, reasons) and redaction is a pure
 * function of the value, so short values are redacted once. Bounded: emptied when full, so a stream of distinct values
 * (from input) costs a miss each, never memory. Only values of at most MEMO_MAX_LENGTH are kept.
 */
const MEMO_MAX_ENTRIES = 4096;
const MEMO_MAX_LENGTH = 128;
const memo = [new Map<string, RedactedString>(), new Map<string, RedactedString>()] as const;

function redactString(value: string, entropyRule: boolean): RedactedString {
  if (value.length > MEMO_MAX_LENGTH) return redactStringNow(value, entropyRule);
  const cache = memo[entropyRule ? 1 : 0];
  const known = cache.get(value);
  if (known !== undefined) return known;
  const result = redactStringNow(value, entropyRule);
  if (cache.size >= MEMO_MAX_ENTRIES) cache.clear();
  cache.set(value, result);
  return result;
}

function redactStringNow(value: string, entropyRule: boolean): RedactedString {
  const { head, dropped } = cutBeforeRedaction(value);
  const shaped = redactText(head);
  const redacted = entropyRule ? redactHighEntropy(shaped) : shaped;
  const text = sanitizeLogText(redacted, NO_CUT) + (dropped > 0 ? `…[truncated ${dropped} chars]` : '');
  return { text, changed: redacted !== head };
}

/**
 * Removes secrets from an event before it is canonicalised, hashed and chained, and neutralises log injection:
 * - values under secret names (`password`, `token`, `apiKey`, `authorization`, `cookie`, `session`, `otp`, `code`,
 *   `pin`, `privateKey`… see {@link isAuditSecretKey}) become `[REDACTED]`;
 * - secrets recognised by shape in any string (JWTs, Bearer/Basic credentials, API keys, vendor tokens, private keys,
 *   URL passwords, Luhn-valid card numbers, long random hex/base64) become `[REDACTED:<kind>]`; card numbers given as
 *   numbers become the string `[REDACTED:card]`;
 * - CR, LF, every other C0/C1 control, U+2028/2029, bidi and invisible characters in the subject, the type, attribute
 *   names and values become visible escapes (`\n`, `\x1b`, `\u202e`), backslash doubled, so no value can forge a second
 *   line or change how an entry reads in any text export;
 * - values longer than {@link MAX_AUDIT_VALUE_LENGTH} are cut before redaction, the word at the cut dropped whole.
 * Protects against the chain committing to a secret (an entry cannot be changed later without breaking the chain) and
 * against forged or spoofed entries in exports. Never mutates its input.
 */
export function redactAuditEvent(event: AuditEventJson): RedactedAuditEvent {
  let redacted = 0;
  const out: { type: string; at: string; subject?: string; attributes?: Record<string, string | number | boolean> } = {
    type: sanitizeLogText(event.type, NO_CUT),
    at: event.at,
  };
  if (event.subject !== undefined) {
    const { text, changed } = redactString(event.subject, true);
    if (changed) redacted++;
    out.subject = text;
  }
  if (event.attributes !== undefined) {
    const attributes: Record<string, string | number | boolean> = {};
    for (const [key, value] of Object.entries(event.attributes)) {
      const rule = nameRule(key);
      let next: string | number | boolean = value;
      if (rule.secret) {
        next = REDACTED;
        redacted++;
      } else if (typeof value === 'string') {
        const { text, changed } = redactString(value, !rule.publicDigest);
        if (changed) redacted++;
        next = text;
      } else if (typeof value === 'number' && isCardNumberValue(value)) {
        next = '[REDACTED:card]';
        redacted++;
      }
      // An own data property even for `__proto__` (plain assignment would set the prototype); escaping is injective, so
      // two keys never collide.
      if (rule.escaped === '__proto__') Object.defineProperty(attributes, rule.escaped, { value: next, enumerable: true, writable: true, configurable: true });
      else attributes[rule.escaped] = next;
    }
    out.attributes = attributes;
  }
  return { event: out, redacted };
}
