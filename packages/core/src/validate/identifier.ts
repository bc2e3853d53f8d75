import { ConfigurationError } from '../errors.js';
import { fail, ok, type Result } from '../result.js';
import { skeleton, unicodeConfusables, type ConfusablesData } from './confusables.js';
import { augmentedScripts, meetsRestrictionLevel, type RestrictionLevel } from './scripts.js';

/** Why an identifier was refused. Stable codes, part of the public API; none carries the input. */
export type IdentifierRefusal =
  | 'not_a_string'
  | 'empty'
  | 'too_long'
  | 'malformed_unicode'
  | 'bidi_control'
  | 'invisible_character'
  | 'control_character'
  | 'whitespace'
  | 'disallowed_character'
  | 'mixed_script'
  | 'mixed_digits';

export interface IdentifierProfileOptions {
  /** Most code points after normalization. Default 64. */
  readonly maxLength?: number;
  /**
   * UTS #39 §5.2 level. Default `'highly-restrictive'`: one script, or Latin with Han + Kana, Han + Bopomofo or
   * Han + Hangul. `'moderately-restrictive'` (named loosening) also admits Latin with one other script, except
   * Cyrillic, Greek and Cherokee.
   */
  readonly restriction?: RestrictionLevel;
  /**
   * Unicode confusables data for `comparisonKey` (the UTS #39 skeleton, catching whole-script look-alikes). Default:
   * the bundled Unicode mapping; `false` (named loosening) compares canonical forms only.
   */
  readonly confusables?: ConfusablesData | false;
}

/** A normalization and comparison profile for identifiers people choose and read: user names, handles, slugs. */
export interface IdentifierProfile {
  /** The canonical form to store and display, or why the input is refused. */
  normalize(input: unknown): Result<string, IdentifierRefusal>;
  /**
   * The key to make unique (a UNIQUE index) and to look up by: the skeleton of the canonical form when confusables
   * data is plugged in, the canonical form otherwise.
   */
  comparisonKey(input: unknown): Result<string, IdentifierRefusal>;
  /** Whether two inputs are both valid and name the same identifier (same comparison key). */
  equivalent(a: unknown, b: unknown): boolean;
}

const DEFAULT_MAX_LENGTH = 64;
/** NFKC expands a code point to at most 18 (U+FDFA); anything longer than this before normalizing is refused unread. */
const EXPANSION = 18;
/** More combining marks than this on one base is "Zalgo" text, which hides what is underneath (UTS #39 §5.4). */
const MAX_COMBINING_RUN = 4;

const LEVELS: ReadonlySet<string> = new Set<RestrictionLevel>(['highly-restrictive', 'moderately-restrictive']);
const LONE_SURROGATE = /\p{Cs}/u;
/** LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM, ALM: they reorder what is displayed (CVE-2021-42574). */
const BIDI_CONTROL = /\p{Bidi_Control}/u;
/** Zero-width (non-)joiners and spaces, soft hyphen, variation selectors, tags, fillers: present but invisible. */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/u;
const CONTROL = /\p{Cc}/u;
const WHITESPACE = /[\p{White_Space}\p{Z}]/u;
/**
 * RFC 8264 IdentifierClass, as far as the engine's Unicode data reaches: printable ASCII, and letters, combining marks
 * and decimal digits of any script (LetterDigits). Non-ASCII symbols and punctuation, other numbers, unassigned and
 * private-use code points are not in it.
 */
const ALLOWED = /^(?:[\x21-\x7e]|[\p{Ll}\p{Lu}\p{Lo}\p{Lm}\p{Nd}\p{Mn}\p{Mc}])$/u;
const MARK = /^\p{M}$/u;
const DECIMAL_DIGIT = /^\p{Nd}$/u;

/**
 * The zero of the decimal digit set `digit` belongs to. Unicode encodes every such set as 10 consecutive code points
 * from zero to nine, so the start of the run of digits, stepped by tens, finds it.
 */
function digitZero(codePoint: number): number {
  let start = codePoint;
  while (start > 0 && DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start -= 1;
  return start + Math.floor((codePoint - start) / 10) * 10;
}

/**
 * UTS #39 §5.4 on the decomposed text: a mark needs a base, the same nonspacing mark twice in a row stacks into one
 * glyph that hides the difference, and long runs of marks ("Zalgo") hide what is underneath.
 */
function checkMarks(text: string): IdentifierRefusal | undefined {
  let marks = 0;
  let previous = '';
  let first = true;
  for (const char of text.normalize('NFD')) {
    if (MARK.test(char)) {
      if (first || char === previous || ++marks > MAX_COMBINING_RUN) return 'disallowed_character';
    } else {
      marks = 0;
    }
    previous = char;
    first = false;
  }
  return undefined;
}

function checkCharacters(text: string): IdentifierRefusal | undefined {
  let zero: number | undefined;
  for (const char of text) {
    if (!ALLOWED.test(char) || augmentedScripts(char).size === 0) return 'disallowed_character';
    if (DECIMAL_DIGIT.test(char)) {
      const digitSet = digitZero(char.codePointAt(0) ?? 0);
      if (zero !== undefined && zero !== digitSet) return 'mixed_digits';
      zero = digitSet;
    }
  }
  return checkMarks(text);
}

/** RFC 8265 §3.3 UsernameCaseMapped, with NFKC for width mapping: compatibility forms, then lower case, then NFKC. */
function canonicalForm(text: string): string {
  return text.normalize('NFKC').toLowerCase().normalize('NFKC');
}

/**
 * Builds an identifier profile: RFC 8265 UsernameCaseMapped-style normalization (NFKC, then `toLowerCase`, which also
 * maps fullwidth `ａｄｍｉｎ` and `ＡＤＭＩＮ` to `admin`) and UTS #39 restrictions.
 *
 * Protects against impersonation by look-alike names: mixed-script spoofs (`раураl`, Cyrillic with one Latin `l`, is
 * refused as `mixed_script`), invisible characters (`ad\u200Dmin` with a zero-width joiner), bidi overrides that
 * reorder a name on screen (U+202E), digits from two numbering systems, stacked combining marks, and case or width
 * variants registering as a second account. `comparisonKey` also equates whole-script look-alikes (all-Cyrillic `рау`
 * and Latin `pay`) through Unicode's confusables data.
 */
export function identifierProfile(options: IdentifierProfileOptions = {}): IdentifierProfile {
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (!Number.isSafeInteger(maxLength) || maxLength < 1 || maxLength > 1024) {
    throw new ConfigurationError('validate: identifier maxLength must be a whole number from 1 to 1024');
  }
  const level = options.restriction ?? 'highly-restrictive';
  if (!LEVELS.has(level)) {
    throw new ConfigurationError('validate: identifier restriction must be highly-restrictive or moderately-restrictive');
  }
  const confusables = options.confusables === false ? undefined : (options.confusables ?? unicodeConfusables());

  function normalize(input: unknown): Result<string, IdentifierRefusal> {
    if (typeof input !== 'string') return fail('not_a_string');
    if (input.length > maxLength * EXPANSION) return fail('too_long');
    if (LONE_SURROGATE.test(input)) return fail('malformed_unicode');
    // Checked on the raw text: these are the attack, whatever normalization would make of them.
    if (BIDI_CONTROL.test(input)) return fail('bidi_control');
    if (INVISIBLE.test(input)) return fail('invisible_character');
    if (CONTROL.test(input)) return fail('control_character');
    const canonical = canonicalForm(input);
    if (canonical.length === 0) return fail('empty');
    let length = 0;
    for (const _ of canonical) if (++length > maxLength) return fail('too_long');
    if (WHITESPACE.test(canonical)) return fail('whitespace');
    if (INVISIBLE.test(canonical) || BIDI_CONTROL.test(canonical)) return fail('invisible_character');
    const refused = checkCharacters(canonical);
    if (refused !== undefined) return fail(refused);
    if (!meetsRestrictionLevel(canonical, level)) return fail('mixed_script');
    return ok(canonical);
  }

  function comparisonKey(input: unknown): Result<string, IdentifierRefusal> {
    const normalized = normalize(input);
    if (!normalized.ok || confusables === undefined) return normalized;
    // Identifiers are compared case-insensitively, but some prototypes are capitals (digit zero → `O`): folding the
    // skeleton again makes `g00gle` meet `google`, as a reader would.
    return ok(skeleton(normalized.value, confusables).toLowerCase());
  }

  return {
    normalize,
    comparisonKey,
    equivalent(a, b) {
      const left = comparisonKey(a);
      const right = comparisonKey(b);
      return left.ok && right.ok && left.value === right.value;
    },
  };
}

const defaultProfile = identifierProfile();

/** `identifierProfile().normalize(input)`: the canonical form of a user name under the default profile, or a refusal. */
export function normalizeIdentifier(input: unknown): Result<string, IdentifierRefusal> {
  return defaultProfile.normalize(input);
}
