import { zxcvbn, zxcvbnOptions } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';
import { ConfigurationError } from '../errors.js';
import { DEFAULT_MAX_PASSWORD_BYTES, MIN_MAX_PASSWORD_BYTES, normalizePassword } from './input.js';

/** zxcvbn's score: 0 too guessable … 4 very unguessable (≥ 10^10 guesses). */
export type StrengthScore = 0 | 1 | 2 | 3 | 4;

/** One reason a password is refused. Carries limits and field names, never the password or any part of it. */
export type PolicyViolation =
  | { readonly code: 'not_a_string' }
  | { readonly code: 'invalid_characters' }
  | { readonly code: 'too_short'; readonly minLength: number }
  | { readonly code: 'too_long'; readonly maxBytes: number }
  | { readonly code: 'common_password' }
  | { readonly code: 'context_word'; readonly field: ContextField }
  | { readonly code: 'too_weak'; readonly score: StrengthScore; readonly minScore: StrengthScore };

export type PolicyViolationCode = PolicyViolation['code'];

export interface PolicyResult {
  /** True when there is no violation. */
  readonly ok: boolean;
  readonly violations: readonly PolicyViolation[];
  /** zxcvbn's estimate, when it was computed (not for input refused on type or length). */
  readonly score?: StrengthScore;
}

export type ContextField = 'userName' | 'email' | 'serviceName' | 'other';

/** Words a password must not be built on: NIST SP 800-63B's "context-specific words". */
export interface PolicyContext {
  readonly userName?: string;
  /** The local part (before `@`) and its pieces (split on `.`, `_`, `-`, `+`) are the context words. */
  readonly email?: string;
  /** Overrides the policy's `serviceName` for this check. */
  readonly serviceName?: string;
  readonly other?: readonly string[];
}

export interface PasswordPolicyOptions {
  /** Minimum length in Unicode code points, after NFKC. Default 12; between 8 (NIST's floor) and 64. */
  readonly minLength?: number;
  /** Maximum length in UTF-8 bytes, checked before anything else. Default 1024; at least 256 (64 characters of any script). */
  readonly maxBytes?: number;
  /** Minimum zxcvbn score. Default 3. 0 turns the estimate off as a gate (it is still reported). */
  readonly minScore?: StrengthScore;
  /** Name of the service, a context word for every check. */
  readonly serviceName?: string;
  /** More refused passwords, compared case-insensitively after NFKC, besides the zxcvbn-ts common-password list. */
  readonly blocklist?: Iterable<string>;
  /** Context words shorter than this are ignored (so a user "al" does not forbid "also"). Default 4. */
  readonly contextMinLength?: number;
}

export interface PasswordPolicy {
  /** Checks a candidate password (at sign-up or change). Never throws, never echoes the password. */
  check(password: unknown, context?: PolicyContext): PolicyResult;
}

/**
 * zxcvbn's run time grows steeply with length (its l33t matcher takes seconds on 64 crafted characters), so a policy
 * check would be a denial-of-service lever: the estimate runs on the first 64 code points only, with zxcvbn's l33t
 * table off; common l33t spellings are instead undone by {@link unleet} and estimated separately (the lower score counts).
 */
const ESTIMATE_MAX_CODE_POINTS = 64;

const LEET: Readonly<Record<string, string>> = {
  '4': 'a', '@': 'a', '8': 'b', '(': 'c', '{': 'c', '[': 'c', '<': 'c', '3': 'e', '6': 'g', '9': 'g', '&': 'g',
  '1': 'i', '!': 'i', '|': 'l', '7': 't', '+': 't', '0': 'o', '$': 's', '5': 's', '2': 'z', '%': 'x',
};

/** Replaces each common l33t character by the letter it stands for ("p@ssw0rd" → "password"). */
function unleet(text: string): string {
  let out = '';
  for (const ch of text) out += LEET[ch] ?? ch;
  return out;
}

let zxcvbnConfigured = false;

/**
 * zxcvbn-ts keeps its dictionaries in a process-wide singleton; Rampart sets it once, on first use, with the
 * language-common (passwords, diceware) and English dictionaries and keyboard graphs, and the l33t table off.
 */
function configureZxcvbn(): void {
  if (zxcvbnConfigured) return;
  zxcvbnOptions.setOptions({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
    l33tTable: {},
    maxLength: ESTIMATE_MAX_CODE_POINTS,
  });
  zxcvbnConfigured = true;
}

let commonPasswords: ReadonlySet<string> | undefined;

/** The zxcvbn-ts common-password list (about 49,000 entries from breach corpora), lower-cased, NFKC. */
function commonPasswordSet(): ReadonlySet<string> {
  commonPasswords ??= new Set(common.dictionary.passwords.map((word) => word.normalize('NFKC').toLowerCase()));
  return commonPasswords;
}

function contextWords(context: PolicyContext, serviceName: string | undefined, minLength: number): Array<[ContextField, string]> {
  const words: Array<[ContextField, string]> = [];
  const add = (field: ContextField, value: unknown): void => {
    if (typeof value !== 'string') return;
    const word = value.normalize('NFKC').toLowerCase().trim();
    if (codePoints(word) >= minLength) words.push([field, word]);
  };
  add('userName', context.userName);
  if (typeof context.email === 'string') {
    const at = context.email.lastIndexOf('@');
    const local = at > 0 ? context.email.slice(0, at) : context.email;
    add('email', local);
    for (const part of local.split(/[._+-]/u)) add('email', part);
  }
  add('serviceName', context.serviceName ?? serviceName);
  for (const word of context.other ?? []) add('other', word);
  return words;
}

/** Length in Unicode code points, NIST's unit for password length (not UTF-16 units, not grapheme clusters). */
function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

function firstCodePoints(text: string, count: number): string {
  let out = '';
  let n = 0;
  for (const ch of text) {
    if (n === count) break;
    out += ch;
    n += 1;
  }
  return out;
}

function score(password: string, userInputs: string[]): StrengthScore {
  configureZxcvbn();
  const head = firstCodePoints(password, ESTIMATE_MAX_CODE_POINTS);
  const plain = zxcvbn(head, userInputs).score;
  const unleeted = unleet(head);
  return unleeted === head ? plain : (Math.min(plain, zxcvbn(unleeted, userInputs).score) as StrengthScore);
}

/**
 * Creates a password policy after NIST SP 800-63B §3.1.1.2: a minimum length (default 12), at least 64 characters
 * accepted (the bound is in bytes, 1024 by default), Unicode NFKC, no composition rules, and refusal of passwords that
 * are common (the zxcvbn-ts breach-corpus list, plus a blocklist), built on context words (user name, email, service
 * name), or estimated too guessable by zxcvbn-ts.
 *
 * Protects against the passwords attackers try first: credential-stuffing and spraying lists, and guesses from what
 * they know about the account.
 */
export function createPasswordPolicy(options: PasswordPolicyOptions = {}): PasswordPolicy {
  const minLength = options.minLength ?? 12;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PASSWORD_BYTES;
  const minScore = options.minScore ?? 3;
  const contextMinLength = options.contextMinLength ?? 4;
  if (!Number.isInteger(minLength) || minLength < 8 || minLength > 64) throw new ConfigurationError('password policy: minLength must be between 8 and 64');
  if (!Number.isInteger(maxBytes) || maxBytes < MIN_MAX_PASSWORD_BYTES || maxBytes > 65_536) {
    throw new ConfigurationError(`password policy: maxBytes must be between ${MIN_MAX_PASSWORD_BYTES} and 65536`);
  }
  if (![0, 1, 2, 3, 4].includes(minScore)) throw new ConfigurationError('password policy: minScore must be 0, 1, 2, 3 or 4');
  if (!Number.isInteger(contextMinLength) || contextMinLength < 1) throw new ConfigurationError('password policy: contextMinLength must be ≥ 1');
  const blocklist = new Set([...(options.blocklist ?? [])].map((word) => word.normalize('NFKC').toLowerCase()));
  const serviceName = options.serviceName;

  return {
    check(password: unknown, context: PolicyContext = {}): PolicyResult {
      const input = normalizePassword(password, maxBytes);
      if (!input.ok) {
        // Refused before any estimate: zxcvbn never sees over-long or malformed input.
        let violation: PolicyViolation;
        if (typeof password !== 'string') violation = { code: 'not_a_string' };
        else if (input.reason === 'too_long') violation = { code: 'too_long', maxBytes };
        else if (password === '') violation = { code: 'too_short', minLength };
        else violation = { code: 'invalid_characters' };
        return { ok: false, violations: [violation] };
      }
      const normalized = input.value;
      const lower = normalized.toLowerCase();
      const violations: PolicyViolation[] = [];

      if (codePoints(normalized) < minLength) violations.push({ code: 'too_short', minLength });
      const common = commonPasswordSet();
      if (common.has(lower) || blocklist.has(lower) || common.has(unleet(lower)) || blocklist.has(unleet(lower))) {
        violations.push({ code: 'common_password' });
      }
      const words = contextWords(context, serviceName, contextMinLength);
      const seen = new Set<ContextField>();
      for (const [field, word] of words) {
        if (!seen.has(field) && (lower.includes(word) || unleet(lower).includes(word))) {
          seen.add(field);
          violations.push({ code: 'context_word', field });
        }
      }
      const estimate = score(normalized, words.map(([, word]) => word));
      if (estimate < minScore) violations.push({ code: 'too_weak', score: estimate, minScore });
      return { ok: violations.length === 0, violations, score: estimate };
    },
  };
}
