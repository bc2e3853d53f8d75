import { NOT_XML_CHAR, isXmlSpace, readName } from './chars.js';
import { XmlError } from './errors.js';
import { checkReference, decodeReferences } from './references.js';

/** The limits the gate enforces; all are counts, checked as the scan reaches them. */
export interface ScanLimits {
  readonly maxDepth: number;
  readonly maxNodes: number;
  readonly maxAttributes: number;
}

// Names that would shadow or reach Object.prototype when fast-xml-parser turns them into object keys.
const FORBIDDEN_NAMES: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

// The XInclude 1.0 namespace (2001) and the 2003 draft one: their elements ask a processor to fetch and splice in a
// resource.
const XINCLUDE_NAMESPACES: ReadonlySet<string> = new Set(['http://www.w3.org/2001/xinclude', 'http://www.w3.org/2003/xinclude']);

// Markup declarations and conditional sections exist only in a DTD; seeing one means a DTD is being smuggled in.
// Case-insensitive on purpose: `<!doctype` is not XML, but lenient parsers downstream accept it.
const DTD_MARKUP = /<!(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION|\[[\t\n\r ]*(?:INCLUDE|IGNORE|%))/iy;

// XMLDecl (§2.8) with EncodingDecl (§4.3.3) and SDDecl (§2.9); the version is checked separately.
const XML_DECLARATION =
  /<\?xml[\t\n\r ]+version[\t\n\r ]*=[\t\n\r ]*(?:"(1\.[0-9]+)"|'(1\.[0-9]+)')(?:[\t\n\r ]+encoding[\t\n\r ]*=[\t\n\r ]*(?:"([A-Za-z][A-Za-z0-9._-]*)"|'([A-Za-z][A-Za-z0-9._-]*)'))?(?:[\t\n\r ]+standalone[\t\n\r ]*=[\t\n\r ]*(?:"(?:yes|no)"|'(?:yes|no)'))?[\t\n\r ]*\?>/y;

const NOT_ASCII = /[\u0080-\u{10FFFF}]/u;

/**
 * The gate: one linear pass over the decoded document that refuses it before any tree exists.
 *
 * It accepts exactly the well-formed XML 1.0 documents without a DTD (§2.1 `document` with no `doctypedecl`) and
 * refuses, at the first offending character: any DOCTYPE or markup declaration (so no entity can be declared, no
 * external DTD or entity named, no billion laughs or quadratic blowup set up), references to entities other than the
 * five predefined ones, XInclude namespace declarations, nesting deeper than `maxDepth`, more than `maxAttributes`
 * attributes on one element, more than `maxNodes` elements + attributes + text runs + CDATA sections + processing
 * instructions in total, names that reach `Object.prototype`, and an encoding declaration other than UTF-8.
 *
 * Comments, CDATA sections, processing instructions and attribute values are skipped exactly as XML delimits them, so
 * `<![CDATA[<!DOCTYPE x>]]>` is text, not a refusal. Where fast-xml-parser delimits a construct differently from the
 * specification (quotes inside a processing instruction), the document is refused, so that the parser that builds the
 * tree can never see markup the gate did not.
 *
 * Memory: the only state is the stack of open element names (at most `maxDepth`) and one element's attribute names
 * (at most `maxAttributes`). No recursion.
 */
export function scanXml(text: string, limits: ScanLimits): void {
  new Scanner(text, limits).run();
}

class Scanner {
  readonly #text: string;
  readonly #limits: ScanLimits;
  readonly #open: string[] = [];
  #nodes = 0;
  #rootSeen = false;

  constructor(text: string, limits: ScanLimits) {
    this.#text = text;
    this.#limits = limits;
  }

  run(): void {
    const text = this.#text;
    const bad = text.search(NOT_XML_CHAR);
    if (bad !== -1) throw new XmlError('XML_MALFORMED', bad, 'character XML forbids');

    let index = this.#declaration();
    while (index < text.length) {
      const lt = text.indexOf('<', index);
      const textEnd = lt === -1 ? text.length : lt;
      if (textEnd > index) this.#characterData(index, textEnd);
      if (lt === -1) break;
      index = this.#markup(lt);
    }
    if (!this.#rootSeen) throw new XmlError('XML_MALFORMED', text.length, 'no root element');
    if (this.#open.length > 0) throw new XmlError('XML_MALFORMED', text.length, 'unclosed element');
  }

  #declaration(): number {
    const text = this.#text;
    if (!text.startsWith('<?xml') || !isDeclarationEnd(text.charCodeAt(5))) return 0;
    XML_DECLARATION.lastIndex = 0;
    const match = XML_DECLARATION.exec(text);
    if (match === null) throw new XmlError('XML_MALFORMED', 0, 'invalid XML declaration');
    if ((match[1] ?? match[2]) !== '1.0') throw new XmlError('XML_MALFORMED', 0, 'XML version other than 1.0');
    const encoding = (match[3] ?? match[4])?.toUpperCase();
    // The text was decoded as UTF-8 (or handed over as a string); any other declared encoding means some consumer
    // reads these bytes differently. US-ASCII is a subset of UTF-8 and is accepted only when every character is ASCII.
    if (encoding !== undefined && encoding !== 'UTF-8' && !(encoding === 'US-ASCII' && !NOT_ASCII.test(text))) {
      throw new XmlError('XML_ENCODING_UNSUPPORTED', 0, 'declared encoding other than UTF-8');
    }
    return XML_DECLARATION.lastIndex;
  }

  #characterData(start: number, end: number): void {
    const text = this.#text;
    const inside = this.#open.length > 0;
    let content = false;
    for (let index = start; index < end; index++) {
      const code = text.charCodeAt(index);
      if (isXmlSpace(code)) continue;
      if (!inside) throw new XmlError('XML_MALFORMED', index, 'text outside the root element');
      content = true;
      if (code === 0x26 /* & */) {
        index = checkReference(text, index, end) - 1;
      } else if (code === 0x5d /* ] */ && text.startsWith(']]>', index)) {
        throw new XmlError('XML_MALFORMED', index, "']]>' in text");
      }
    }
    if (content) this.#countNode(start);
  }

  #markup(lt: number): number {
    const text = this.#text;
    const next = text.charCodeAt(lt + 1);
    if (next === 0x3f /* ? */) return this.#processingInstruction(lt);
    if (next === 0x2f /* / */) return this.#endTag(lt);
    if (next !== 0x21 /* ! */) return this.#startTag(lt);
    if (text.startsWith('<!--', lt)) return this.#comment(lt);
    if (text.startsWith('<![CDATA[', lt)) return this.#cdata(lt);
    DTD_MARKUP.lastIndex = lt;
    if (DTD_MARKUP.test(text)) throw new XmlError('XML_DOCTYPE_FORBIDDEN', lt, 'DOCTYPE or markup declaration');
    throw new XmlError('XML_MALFORMED', lt, "unknown '<!' construct");
  }

  #comment(lt: number): number {
    const text = this.#text;
    const dashes = text.indexOf('--', lt + 4);
    if (dashes === -1) throw new XmlError('XML_MALFORMED', lt, 'unclosed comment');
    if (text.charCodeAt(dashes + 2) !== 0x3e /* > */) throw new XmlError('XML_MALFORMED', dashes, "'--' inside a comment");
    return dashes + 3;
  }

  #cdata(lt: number): number {
    if (this.#open.length === 0) throw new XmlError('XML_MALFORMED', lt, 'CDATA section outside the root element');
    const end = this.#text.indexOf(']]>', lt + 9);
    if (end === -1) throw new XmlError('XML_MALFORMED', lt, 'unclosed CDATA section');
    this.#countNode(lt);
    return end + 3;
  }

  #processingInstruction(lt: number): number {
    const text = this.#text;
    const target = readName(text, lt + 2);
    if (target === undefined) throw new XmlError('XML_MALFORMED', lt, 'processing instruction without a target');
    if (target.toLowerCase() === 'xml') throw new XmlError('XML_MALFORMED', lt, 'XML declaration not at the start');
    const afterTarget = lt + 2 + target.length;
    const end = text.indexOf('?>', afterTarget);
    if (end === -1) throw new XmlError('XML_MALFORMED', lt, 'unclosed processing instruction');
    if (end !== afterTarget && !isXmlSpace(text.charCodeAt(afterTarget))) {
      throw new XmlError('XML_MALFORMED', afterTarget, 'invalid processing instruction target');
    }
    // XML ends a processing instruction at the first "?>"; fast-xml-parser skips quoted runs while looking for it.
    // A quote that spans the first "?>" would make the two disagree about where markup resumes: refuse it.
    for (let index = afterTarget; index < end; index++) {
      const code = text.charCodeAt(index);
      if (code !== 0x22 && code !== 0x27) continue;
      const close = text.indexOf(code === 0x22 ? '"' : "'", index + 1);
      if (close === -1 || close > end) throw new XmlError('XML_MALFORMED', index, 'quote spanning the end of a processing instruction');
      index = close;
    }
    this.#countNode(lt);
    return end + 2;
  }

  #endTag(lt: number): number {
    const text = this.#text;
    const name = readName(text, lt + 2);
    if (name === undefined) throw new XmlError('XML_MALFORMED', lt, 'end tag without a name');
    let index = lt + 2 + name.length;
    while (isXmlSpace(text.charCodeAt(index))) index++;
    if (text.charCodeAt(index) !== 0x3e /* > */) throw new XmlError('XML_MALFORMED', index, 'invalid end tag');
    if (this.#open.pop() !== name) throw new XmlError('XML_MALFORMED', lt, 'end tag does not match the open element');
    return index + 1;
  }

  #startTag(lt: number): number {
    const text = this.#text;
    const name = readName(text, lt + 1);
    if (name === undefined) throw new XmlError('XML_MALFORMED', lt, "'<' that does not start markup");
    if (this.#open.length === 0 && this.#rootSeen) throw new XmlError('XML_MALFORMED', lt, 'more than one root element');
    if (this.#open.length + 1 > this.#limits.maxDepth) throw new XmlError('XML_TOO_DEEP', lt, 'over maxDepth');
    refuseForbiddenName(name, lt);
    this.#countNode(lt);
    this.#rootSeen = true;

    let index = lt + 1 + name.length;
    let attributes: Set<string> | undefined;
    for (;;) {
      const beforeSpace = index;
      while (isXmlSpace(text.charCodeAt(index))) index++;
      const code = text.charCodeAt(index);
      if (code === 0x3e /* > */) {
        this.#open.push(name);
        return index + 1;
      }
      if (code === 0x2f /* / */ && text.charCodeAt(index + 1) === 0x3e) return index + 2;
      if (index === beforeSpace) throw new XmlError('XML_MALFORMED', index, 'invalid start tag');

      const attribute = readName(text, index);
      if (attribute === undefined) throw new XmlError('XML_MALFORMED', index, 'invalid attribute name');
      attributes ??= new Set();
      if (attributes.size >= this.#limits.maxAttributes) throw new XmlError('XML_TOO_MANY_ATTRIBUTES', index, 'over maxAttributes');
      refuseForbiddenName(attribute, index);
      if (attributes.has(attribute)) throw new XmlError('XML_MALFORMED', index, 'duplicate attribute');
      attributes.add(attribute);
      this.#countNode(index);
      index = this.#attributeValue(attribute, index);
    }
  }

  /** Reads `Eq AttValue` (§2.3) after the attribute name at `start`; returns the index past the closing quote. */
  #attributeValue(attribute: string, start: number): number {
    const text = this.#text;
    let index = start + attribute.length;
    while (isXmlSpace(text.charCodeAt(index))) index++;
    if (text.charCodeAt(index) !== 0x3d /* = */) throw new XmlError('XML_MALFORMED', index, 'attribute without a value');
    index++;
    while (isXmlSpace(text.charCodeAt(index))) index++;
    const quote = text.charCodeAt(index);
    if (quote !== 0x22 && quote !== 0x27) throw new XmlError('XML_MALFORMED', index, 'unquoted attribute value');
    const open = index + 1;
    const close = text.indexOf(quote === 0x22 ? '"' : "'", open);
    if (close === -1) throw new XmlError('XML_MALFORMED', index, 'unclosed attribute value');
    for (let cursor = open; cursor < close; cursor++) {
      const code = text.charCodeAt(cursor);
      if (code === 0x3c /* < */) throw new XmlError('XML_MALFORMED', cursor, "'<' in an attribute value");
      if (code === 0x26 /* & */) cursor = checkReference(text, cursor, close) - 1;
    }
    if (attribute === 'xmlns' || attribute.startsWith('xmlns:')) {
      // Compared after references are replaced (`&#88;Include` is still XInclude), trimmed and case-folded, so that a
      // lenient consumer downstream cannot be handed a namespace it would treat as XInclude.
      const namespace = decodeReferences(text.slice(open, close)).trim().toLowerCase();
      if (XINCLUDE_NAMESPACES.has(namespace)) throw new XmlError('XML_XINCLUDE_FORBIDDEN', start, 'XInclude namespace');
    }
    return close + 1;
  }

  #countNode(at: number): void {
    this.#nodes++;
    if (this.#nodes > this.#limits.maxNodes) throw new XmlError('XML_TOO_MANY_NODES', at, 'over maxNodes');
  }
}

function isDeclarationEnd(code: number): boolean {
  return isXmlSpace(code) || code === 0x3f; /* ? */
}

function refuseForbiddenName(name: string, at: number): void {
  const colon = name.lastIndexOf(':');
  if (FORBIDDEN_NAMES.has(name) || (colon !== -1 && FORBIDDEN_NAMES.has(name.slice(colon + 1)))) {
    throw new XmlError('XML_FORBIDDEN_NAME', at, 'name that reaches Object.prototype');
  }
}
