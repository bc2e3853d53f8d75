/**
 * Unicode scripts of characters, read from the JavaScript engine's own Unicode data through `\p{Script_Extensions=…}`
 * property escapes (ECMA-262 §22.2.2.9), so no script table is shipped or can go stale apart from the engine.
 */

/**
 * Script names (Unicode PropertyValueAliases long names) through Unicode 17, without Common and Inherited. A name the
 * running engine does not know is skipped when the matchers are built; a character of such a script then has no
 * known script and is refused, never guessed.
 */
const SCRIPT_NAMES: readonly string[] = [
  'Adlam', 'Ahom', 'Anatolian_Hieroglyphs', 'Arabic', 'Armenian', 'Avestan', 'Balinese', 'Bamum', 'Bassa_Vah',
  'Batak', 'Bengali', 'Beria_Erfe', 'Bhaiksuki', 'Bopomofo', 'Brahmi', 'Braille', 'Buginese', 'Buhid',
  'Canadian_Aboriginal', 'Carian', 'Caucasian_Albanian', 'Chakma', 'Cham', 'Cherokee', 'Chorasmian', 'Coptic',
  'Cuneiform', 'Cypriot', 'Cypro_Minoan', 'Cyrillic', 'Deseret', 'Devanagari', 'Dives_Akuru', 'Dogra', 'Duployan',
  'Egyptian_Hieroglyphs', 'Elbasan', 'Elymaic', 'Ethiopic', 'Garay', 'Georgian', 'Glagolitic', 'Gothic', 'Grantha',
  'Greek', 'Gujarati', 'Gunjala_Gondi', 'Gurmukhi', 'Gurung_Khema', 'Han', 'Hangul', 'Hanifi_Rohingya', 'Hanunoo',
  'Hatran', 'Hebrew', 'Hiragana', 'Imperial_Aramaic', 'Inscriptional_Pahlavi', 'Inscriptional_Parthian', 'Javanese',
  'Kaithi', 'Kannada', 'Katakana', 'Kawi', 'Kayah_Li', 'Kharoshthi', 'Khitan_Small_Script', 'Khmer', 'Khojki',
  'Khudawadi', 'Kirat_Rai', 'Lao', 'Latin', 'Lepcha', 'Limbu', 'Linear_A', 'Linear_B', 'Lisu', 'Lycian', 'Lydian',
  'Mahajani', 'Makasar', 'Malayalam', 'Mandaic', 'Manichaean', 'Marchen', 'Masaram_Gondi', 'Medefaidrin',
  'Meetei_Mayek', 'Mende_Kikakui', 'Meroitic_Cursive', 'Meroitic_Hieroglyphs', 'Miao', 'Modi', 'Mongolian', 'Mro',
  'Multani', 'Myanmar', 'Nabataean', 'Nag_Mundari', 'Nandinagari', 'New_Tai_Lue', 'Newa', 'Nko', 'Nushu',
  'Nyiakeng_Puachue_Hmong', 'Ogham', 'Ol_Chiki', 'Ol_Onal', 'Old_Hungarian', 'Old_Italic', 'Old_North_Arabian',
  'Old_Permic', 'Old_Persian', 'Old_Sogdian', 'Old_South_Arabian', 'Old_Turkic', 'Old_Uyghur', 'Oriya', 'Osage',
  'Osmanya', 'Pahawh_Hmong', 'Palmyrene', 'Pau_Cin_Hau', 'Phags_Pa', 'Phoenician', 'Psalter_Pahlavi', 'Rejang',
  'Runic', 'Samaritan', 'Saurashtra', 'Sharada', 'Shavian', 'Siddham', 'Sidetic', 'SignWriting', 'Sinhala',
  'Sogdian', 'Sora_Sompeng', 'Soyombo', 'Sundanese', 'Sunuwar', 'Syloti_Nagri', 'Syriac', 'Tagalog', 'Tagbanwa',
  'Tai_Le', 'Tai_Tham', 'Tai_Viet', 'Tai_Yo', 'Takri', 'Tamil', 'Tangsa', 'Tangut', 'Telugu', 'Thaana', 'Thai',
  'Tibetan', 'Tifinagh', 'Tirhuta', 'Todhri', 'Tolong_Siki', 'Toto', 'Tulu_Tigalari', 'Ugaritic', 'Vai', 'Vithkuqi',
  'Wancho', 'Warang_Citi', 'Yezidi', 'Yi', 'Zanabazar_Square',
];

/** The pseudo-scripts of UTS #39 §5.1 that let the writing systems of Japan, China and Korea mix their scripts. */
const HAN_WITH_BOPOMOFO = 'Hanb';
const JAPANESE = 'Jpan';
const KOREAN = 'Kore';

function matcher(name: string): RegExp | undefined {
  try {
    return new RegExp(`^\\p{Script_Extensions=${name}}$`, 'u');
  } catch {
    return undefined;
  }
}

const MATCHERS: readonly (readonly [string, RegExp])[] = SCRIPT_NAMES.flatMap((name) => {
  const regex = matcher(name);
  return regex === undefined ? [] : [[name, regex] as const];
});

/** Characters whose script extensions are only Common or only Inherited: UTS #39 counts them in every script. */
const COMMON_OR_INHERITED = /^[\p{Script_Extensions=Common}\p{Script_Extensions=Inherited}]$/u;
const ASCII_LETTER = /^[A-Za-z]$/;

/** The set standing for "every script" (digits, punctuation, combining marks shared by all). */
export const ALL_SCRIPTS: ReadonlySet<string> = new Set(['*']);
const LATIN: ReadonlySet<string> = new Set(['Latin']);
const EMPTY: ReadonlySet<string> = new Set();

/** Augmented script sets are pure functions of the code point; identifiers reuse few characters, so a small cache pays. */
const cache = new Map<number, ReadonlySet<string>>();
const CACHE_LIMIT = 4096;

/**
 * The augmented script set of one character (UTS #39 §5.1): its Script_Extensions, with Han adding Hanb, Jpan and
 * Kore, Hiragana and Katakana adding Jpan, Hangul adding Kore and Bopomofo adding Hanb. `ALL_SCRIPTS` for Common and
 * Inherited characters; an empty set for a character of a script the engine knows but this list does not.
 */
export function augmentedScripts(char: string): ReadonlySet<string> {
  if (ASCII_LETTER.test(char)) return LATIN;
  const codePoint = char.codePointAt(0) ?? 0;
  const cached = cache.get(codePoint);
  if (cached !== undefined) return cached;
  let result: ReadonlySet<string>;
  if (COMMON_OR_INHERITED.test(char)) {
    result = ALL_SCRIPTS;
  } else {
    const scripts = new Set<string>();
    for (const [name, regex] of MATCHERS) if (regex.test(char)) scripts.add(name);
    if (scripts.has('Han')) scripts.add(HAN_WITH_BOPOMOFO).add(JAPANESE).add(KOREAN);
    if (scripts.has('Hiragana') || scripts.has('Katakana')) scripts.add(JAPANESE);
    if (scripts.has('Hangul')) scripts.add(KOREAN);
    if (scripts.has('Bopomofo')) scripts.add(HAN_WITH_BOPOMOFO);
    result = scripts.size === 0 ? EMPTY : scripts;
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(codePoint, result);
  return result;
}

function intersect(resolved: ReadonlySet<string> | undefined, scripts: ReadonlySet<string>): ReadonlySet<string> {
  if (scripts === ALL_SCRIPTS) return resolved ?? ALL_SCRIPTS;
  if (resolved === undefined || resolved === ALL_SCRIPTS) return scripts;
  const out = new Set<string>();
  for (const script of resolved) if (scripts.has(script)) out.add(script);
  return out;
}

/** The resolved script set (UTS #39 §5.1): the scripts every character of `text` belongs to; `ALL_SCRIPTS` if none is specific. */
export function resolvedScripts(text: string, skipLatin = false): ReadonlySet<string> {
  let resolved: ReadonlySet<string> | undefined;
  for (const char of text) {
    const scripts = augmentedScripts(char);
    if (skipLatin && scripts !== ALL_SCRIPTS && scripts.has('Latin')) continue;
    resolved = intersect(resolved, scripts);
    if (resolved.size === 0) return EMPTY;
  }
  return resolved ?? ALL_SCRIPTS;
}

/** UTS #39 §5.2 restriction levels this module enforces. */
export type RestrictionLevel = 'highly-restrictive' | 'moderately-restrictive';

/**
 * Whether `text` meets a UTS #39 §5.2 restriction level. Single-script text always does. Highly restrictive also admits
 * Latin with Han + Hiragana + Katakana, with Han + Bopomofo, or with Han + Hangul; moderately restrictive also admits
 * Latin with any one other script except Cyrillic, Greek and Cherokee (the scripts with Latin look-alikes).
 */
export function meetsRestrictionLevel(text: string, level: RestrictionLevel): boolean {
  if (resolvedScripts(text).size > 0) return true;
  const withoutLatin = resolvedScripts(text, true);
  if (withoutLatin.has(HAN_WITH_BOPOMOFO) || withoutLatin.has(JAPANESE) || withoutLatin.has(KOREAN)) return true;
  if (level === 'highly-restrictive') return false;
  return withoutLatin.size > 0 && !withoutLatin.has('Cyrillic') && !withoutLatin.has('Greek') && !withoutLatin.has('Cherokee');
}

/** Script names the running engine recognises, for tests that check every assigned character has one. */
export function knownScriptNames(): readonly string[] {
  return MATCHERS.map(([name]) => name);
}
