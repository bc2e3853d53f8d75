import { ConfigurationError } from '../errors.js';
import { UNICODE_CONFUSABLES_DATA } from './confusables-data.js';

/**
 * The port for Unicode's confusables data (UTS #39 §4, `confusables.txt`): for a code point, the prototype string it is
 * visually confusable with, or `undefined` when it is its own prototype. Rampart bundles Unicode's mapping
 * ({@link unicodeConfusables}); plug a newer release here with `confusablesFromEntries`.
 */
export interface ConfusablesData {
  prototypeOf(codePoint: number): string | undefined;
}

/**
 * Builds the port from `[source, prototype]` pairs, the shape of `confusables.txt` lines (`0430 ; 0061 ; MA`) once
 * their hex fields are turned into strings. Each source must be exactly one code point.
 */
export function confusablesFromEntries(entries: Iterable<readonly [source: string, prototype: string]>): ConfusablesData {
  const map = new Map<number, string>();
  for (const [source, prototype] of entries) {
    const codePoint = source.codePointAt(0);
    if (codePoint === undefined || String.fromCodePoint(codePoint) !== source || typeof prototype !== 'string' || prototype === '') {
      throw new ConfigurationError('validate: each confusables entry maps one code point to a non-empty prototype');
    }
    map.set(codePoint, prototype.normalize('NFD'));
  }
  return { prototypeOf: (codePoint) => map.get(codePoint) };
}

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * The UTS #39 §4 skeleton of `text`: NFD, default-ignorable code points removed, every code point replaced by its
 * prototype, NFD again. Two strings with the same skeleton are confusable (`paypal` and `раураl`, `ﬁ` and `fi`);
 * store the skeleton in a unique index to refuse a look-alike of an existing name. It is a comparison key, never a
 * display form.
 */
export function skeleton(text: string, data: ConfusablesData): string {
  let out = '';
  for (const char of text.normalize('NFD').replace(DEFAULT_IGNORABLE, '')) {
    out += data.prototypeOf(char.codePointAt(0) ?? 0) ?? char;
  }
  return out.normalize('NFD');
}

let bundled: ConfusablesData | undefined;

/**
 * Unicode's confusables mapping bundled with Rampart (see `confusables-data.ts` for its version and source), parsed once
 * on first use. The default data of `identifierProfile`, so that whole-script look-alikes (all-Cyrillic `рау` and
 * Latin `pay`) get one comparison key without any setup.
 */
export function unicodeConfusables(): ConfusablesData {
  bundled ??= confusablesFromEntries(
    UNICODE_CONFUSABLES_DATA.split(',')
      .filter((entry) => entry !== '')
      .map((entry): [string, string] => {
        const [source = '', prototype = ''] = entry.split(':');
        const toText = (hex: string): string => String.fromCodePoint(Number.parseInt(hex, 16));
        return [toText(source), prototype.split(' ').map(toText).join('')];
      }),
  );
  return bundled;
}
