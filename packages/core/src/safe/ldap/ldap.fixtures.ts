import { readFileSync } from 'node:fs';

/*
 * Independent verifiers written from the ABNF, for tests only: a strict RFC 4515 filter parser, a strict RFC 4514 DN
 * parser, and a small evaluator of parsed filters over an in-memory directory. There is no LDAP server on this
 * machine; parsing what was built shows its structure exactly, and evaluating shows what an injected structure would
 * match.
 */

export type FilterNode =
  | { readonly type: 'and' | 'or'; readonly children: readonly FilterNode[] }
  | { readonly type: 'not'; readonly child: FilterNode }
  | { readonly type: 'eq' | 'approx' | 'ge' | 'le'; readonly attribute: string; readonly value: Buffer }
  | { readonly type: 'present'; readonly attribute: string }
  | { readonly type: 'substring'; readonly attribute: string; readonly initial?: Buffer; readonly any: readonly Buffer[]; readonly final?: Buffer }
  | { readonly type: 'extensible'; readonly attribute?: string; readonly dn: boolean; readonly rule?: string; readonly value: Buffer };

export class SyntaxError extends Error {}

const ATTRIBUTE_DESCRIPTION = /^(?:[A-Za-z][A-Za-z0-9-]*|(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))+)(?:;[A-Za-z0-9-]+)*/;
const OID = /^(?:[A-Za-z][A-Za-z0-9-]*|(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))+)/;
const HEX2 = /^[0-9A-Fa-f]{2}$/;
const EMPTY = Buffer.alloc(0);

class FilterParser {
  private position = 0;

  constructor(
    private readonly text: string,
    private readonly allowEmptyLists: boolean,
  ) {}

  parseWhole(): FilterNode {
    const node = this.filter();
    if (this.position !== this.text.length) throw new SyntaxError(`trailing text at ${this.position}`);
    return node;
  }

  parsePrefix(): FilterNode {
    return this.filter();
  }

  private peek(): string | undefined {
    return this.text[this.position];
  }

  private expect(char: string): void {
    if (this.text[this.position] !== char) throw new SyntaxError(`expected ${char} at ${this.position}`);
    this.position += 1;
  }

  // filter = LPAREN filtercomp RPAREN
  private filter(): FilterNode {
    this.expect('(');
    const node = this.filtercomp();
    this.expect(')');
    return node;
  }

  private filtercomp(): FilterNode {
    const char = this.peek();
    if (char === '&' || char === '|') {
      this.position += 1;
      const children: FilterNode[] = [];
      while (this.peek() === '(') children.push(this.filter());
      // filterlist = 1*filter; RFC 4526 allows the empty list (absolute true / false).
      if (children.length === 0 && !this.allowEmptyLists) throw new SyntaxError('empty filter list');
      return { type: char === '&' ? 'and' : 'or', children };
    }
    if (char === '!') {
      this.position += 1;
      return { type: 'not', child: this.filter() };
    }
    return this.item();
  }

  private match(pattern: RegExp): string | undefined {
    const found = pattern.exec(this.text.slice(this.position));
    if (found === null) return undefined;
    this.position += found[0].length;
    return found[0];
  }

  private item(): FilterNode {
    if (this.peek() === ':') return this.extensible(undefined);
    const attribute = this.match(ATTRIBUTE_DESCRIPTION);
    if (attribute === undefined) throw new SyntaxError(`attribute expected at ${this.position}`);
    const rest = this.text.slice(this.position);
    if (rest.startsWith(':')) return this.extensible(attribute);
    for (const [operator, type] of [['~=', 'approx'], ['>=', 'ge'], ['<=', 'le']] as const) {
      if (rest.startsWith(operator)) {
        this.position += 2;
        return { type, attribute, value: this.singleValue() };
      }
    }
    this.expect('=');
    const parts = this.assertionValue(true);
    const initial = parts[0] ?? EMPTY;
    const final = parts.at(-1) ?? EMPTY;
    if (parts.length === 1) return { type: 'eq', attribute, value: initial };
    if (parts.length === 2 && initial.length === 0 && final.length === 0) return { type: 'present', attribute };
    return {
      type: 'substring',
      attribute,
      ...(initial.length > 0 ? { initial } : {}),
      any: parts.slice(1, -1),
      ...(final.length > 0 ? { final } : {}),
    };
  }

  // extensible = ( attr [dnattrs] [matchingrule] COLON EQUALS assertionvalue ) / ( [dnattrs] matchingrule COLON EQUALS assertionvalue )
  private extensible(attribute: string | undefined): FilterNode {
    let dn = false;
    let rule: string | undefined;
    if (/^:dn(?=:)/i.test(this.text.slice(this.position))) {
      dn = true;
      this.position += 3;
    }
    if (!this.text.startsWith(':=', this.position)) {
      this.expect(':');
      rule = this.match(OID);
      if (rule === undefined) throw new SyntaxError('matching rule expected');
    }
    if (attribute === undefined && rule === undefined) throw new SyntaxError('extensible match needs a rule');
    this.expect(':');
    this.expect('=');
    return { type: 'extensible', ...(attribute === undefined ? {} : { attribute }), dn, ...(rule === undefined ? {} : { rule }), value: this.singleValue() };
  }

  private singleValue(): Buffer {
    return this.assertionValue(false)[0] ?? EMPTY;
  }

  /** valueencoding = 0*(normal / escaped); with `splitOnStar`, the unescaped `*`s of a substring separate parts. */
  private assertionValue(splitOnStar: boolean): Buffer[] {
    const parts: Buffer[] = [];
    let bytes: number[] = [];
    for (;;) {
      const char = this.peek();
      if (char === undefined || char === ')') break;
      if (char === '*' && splitOnStar) {
        parts.push(Buffer.from(bytes));
        bytes = [];
        this.position += 1;
        continue;
      }
      if (char === '\\') {
        const hex = this.text.slice(this.position + 1, this.position + 3);
        if (!HEX2.test(hex)) throw new SyntaxError(`bad escape at ${this.position}`);
        bytes.push(Number.parseInt(hex, 16));
        this.position += 3;
        continue;
      }
      const code = this.text.codePointAt(this.position) ?? 0;
      // UTF1SUBSET = %x01-27 / %x2B-5B / %x5D-7F excludes NUL, "(", ")", "*", "\"
      if (code === 0 || char === '(' || char === '*') throw new SyntaxError(`unescaped ${JSON.stringify(char)} at ${this.position}`);
      const whole = String.fromCodePoint(code);
      bytes.push(...Buffer.from(whole, 'utf8'));
      this.position += whole.length;
    }
    parts.push(Buffer.from(bytes));
    return parts;
  }
}

/** Parses a whole RFC 4515 filter string, strictly; throws {@link SyntaxError}. */
export function parseFilter(text: string, options: { allowEmptyLists?: boolean } = {}): FilterNode {
  return new FilterParser(text, options.allowEmptyLists === true).parseWhole();
}

/**
 * What a lenient server or client library reads: the text up to the first NUL (C strings), then the first complete
 * filter, ignoring whatever follows, with RFC 4526 empty lists. Returns `undefined` if even that fails.
 */
export function parseFilterLeniently(text: string): FilterNode | undefined {
  const cString = text.split('\u0000')[0] ?? '';
  try {
    return new FilterParser(cString, true).parsePrefix();
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

export type Entry = Readonly<Record<string, readonly string[]>>;

/** A small directory: two people with passwords and a device without one. */
export const DIRECTORY: readonly Entry[] = [
  { uid: ['admin'], userPassword: ['Adm1n!'], objectClass: ['person'], cn: ['Administrator'] },
  { uid: ['jsmith'], userPassword: ['secret'], objectClass: ['person'], cn: ['John Smith'] },
  { uid: ['printer'], objectClass: ['device'], cn: ['Printer *3*'] },
];

function valuesOf(entry: Entry, attribute: string): readonly string[] {
  const key = Object.keys(entry).find((name) => name.toLowerCase() === attribute.toLowerCase());
  return key === undefined ? [] : (entry[key] ?? []);
}

function fold(bytes: Buffer | undefined): string {
  return (bytes ?? Buffer.alloc(0)).toString('utf8').toLowerCase();
}

/** Evaluates a parsed filter on one entry with case-insensitive matching (caseIgnoreMatch), enough for these tests. */
export function matches(node: FilterNode, entry: Entry): boolean {
  switch (node.type) {
    case 'and':
      return node.children.every((child) => matches(child, entry));
    case 'or':
      return node.children.some((child) => matches(child, entry));
    case 'not':
      return !matches(node.child, entry);
    case 'present':
      return valuesOf(entry, node.attribute).length > 0;
    case 'eq':
    case 'approx':
      return valuesOf(entry, node.attribute).some((value) => value.toLowerCase() === fold(node.value));
    case 'ge':
      return valuesOf(entry, node.attribute).some((value) => value.toLowerCase() >= fold(node.value));
    case 'le':
      return valuesOf(entry, node.attribute).some((value) => value.toLowerCase() <= fold(node.value));
    case 'substring':
      return valuesOf(entry, node.attribute).some((raw) => {
        const value = raw.toLowerCase();
        const initial = fold(node.initial);
        const final = fold(node.final);
        if (!value.startsWith(initial)) return false;
        let from = initial.length;
        for (const part of node.any) {
          const found = value.indexOf(fold(part), from);
          if (found < 0) return false;
          from = found + part.length;
        }
        return value.length - final.length >= from && value.endsWith(final);
      });
    case 'extensible':
      return false;
  }
}

/** The indexes of the directory entries a filter matches. */
export function search(node: FilterNode | undefined): number[] {
  if (node === undefined) return [];
  return DIRECTORY.flatMap((entry, index) => (matches(node, entry) ? [index] : []));
}

export interface Ava {
  readonly type: string;
  readonly value: Buffer;
}

const LUTF1 = (code: number) => (code >= 0x01 && code <= 0x1f) || code === 0x21 || (code >= 0x24 && code <= 0x2a) || (code >= 0x2d && code <= 0x3a) || code === 0x3d || (code >= 0x3f && code <= 0x5b) || (code >= 0x5d && code <= 0x7f);
const TUTF1 = (code: number) => (code >= 0x01 && code <= 0x1f) || code === 0x21 || (code >= 0x23 && code <= 0x2a) || (code >= 0x2d && code <= 0x3a) || code === 0x3d || (code >= 0x3f && code <= 0x5b) || (code >= 0x5d && code <= 0x7f);
const SUTF1 = (code: number) => (code >= 0x01 && code <= 0x21) || (code >= 0x23 && code <= 0x2a) || (code >= 0x2d && code <= 0x3a) || code === 0x3d || (code >= 0x3f && code <= 0x5b) || (code >= 0x5d && code <= 0x7f);
const PAIR_CHARS = new Set(['\\', '"', '+', ',', ';', '<', '>', ' ', '#', '=']);

/** Parses an RFC 4514 §3 distinguished name strictly into RDNs of attribute-value assertions; throws {@link SyntaxError}. */
export function parseDn(text: string): Ava[][] {
  const rdns: Ava[][] = [];
  let position = 0;
  let rdn: Ava[] = [];
  if (text.length === 0) return rdns;
  for (;;) {
    const type = OID.exec(text.slice(position))?.[0];
    if (type === undefined) throw new SyntaxError(`attribute type expected at ${position}`);
    position += type.length;
    if (text[position] !== '=') throw new SyntaxError(`= expected at ${position}`);
    position += 1;
    const bytes: number[] = [];
    if (text[position] === '#') {
      // hexstring = SHARP 1*hexpair
      position += 1;
      const hex = /^(?:[0-9A-Fa-f]{2})+/.exec(text.slice(position))?.[0];
      if (hex === undefined) throw new SyntaxError('hexstring expected');
      bytes.push(...Buffer.from(hex, 'hex'));
      position += hex.length;
    } else {
      // string: track which raw characters were unescaped, to apply the lead/trail rules
      const raw: { code: number; escaped: boolean }[] = [];
      while (position < text.length && text[position] !== ',' && text[position] !== '+') {
        const char = text.charAt(position);
        if (char === '\\') {
          const next = text[position + 1];
          const hex = text.slice(position + 1, position + 3);
          if (HEX2.test(hex)) {
            bytes.push(Number.parseInt(hex, 16));
            raw.push({ code: -1, escaped: true });
            position += 3;
          } else if (next !== undefined && PAIR_CHARS.has(next)) {
            bytes.push(next.charCodeAt(0));
            raw.push({ code: -1, escaped: true });
            position += 2;
          } else {
            throw new SyntaxError(`bad escape at ${position}`);
          }
          continue;
        }
        const code = text.codePointAt(position) ?? 0;
        const whole = String.fromCodePoint(code);
        bytes.push(...Buffer.from(whole, 'utf8'));
        raw.push({ code, escaped: false });
        position += whole.length;
      }
      raw.forEach(({ code, escaped }, index) => {
        if (escaped || code > 0x7f) return;
        const allowed = index === 0 ? LUTF1(code) : index === raw.length - 1 ? TUTF1(code) : SUTF1(code);
        if (!allowed) throw new SyntaxError(`character 0x${code.toString(16)} not allowed at value position ${index}`);
      });
    }
    rdn.push({ type, value: Buffer.from(bytes) });
    const separator = text[position];
    if (separator === undefined) break;
    position += 1;
    if (separator === ',') {
      rdns.push(rdn);
      rdn = [];
    } else if (separator !== '+') {
      throw new SyntaxError(`separator expected at ${position - 1}`);
    }
  }
  rdns.push(rdn);
  return rdns;
}

/** Every payload of a corpus file: one JSON string literal per line, so NUL and controls can be written. */
export function readCorpus(name: string): { readonly source: string; readonly line: number; readonly payload: string }[] {
  const text = readFileSync(new URL(`./corpus/${name}`, import.meta.url), 'utf8');
  const entries: { source: string; line: number; payload: string }[] = [];
  let source = '';
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    if (line.startsWith('#')) source = line.slice(1).trim();
    else entries.push({ source, line: index + 1, payload: JSON.parse(line) as string });
  });
  return entries;
}

/** The escaped value contains no metacharacter except in `\xx` form: nothing can end or widen the assertion. */
export function hasOnlyEscapedMetacharacters(escaped: string): boolean {
  return !/[()*]/.test(escaped) && !escaped.includes('\u0000') && /^(?:[^\\]|\\[0-9a-f]{2})*$/.test(escaped);
}
