import { XMLParser, type EntityDecoderOptions } from 'fast-xml-parser';
import { ConfigurationError } from '../../errors.js';
import { decodeXmlInput } from './decode.js';
import { XmlError } from './errors.js';
import { decodeReferences } from './references.js';
import { scanXml, type ScanLimits } from './scan.js';

/** Default cap on the document size: 1 MiB of UTF-8. */
export const DEFAULT_MAX_XML_BYTES = 1_048_576;
/** Default cap on element nesting. */
export const DEFAULT_MAX_XML_DEPTH = 32;
/** Default cap on elements + attributes + text runs + CDATA sections + processing instructions. */
export const DEFAULT_MAX_XML_NODES = 10_000;
/** Default cap on the attributes of one element. */
export const DEFAULT_MAX_XML_ATTRIBUTES = 32;

// fast-xml-parser turns the tree into objects recursively; past a few thousand levels that overflows the stack.
const DEPTH_CEILING = 1_000;

/** Prefix of attribute keys in the result (`<a id="1"/>` → `{ a: { '@_id': '1' } }`). */
export const XML_ATTRIBUTE_PREFIX = '@_';
/** Key of an element's text when it also has attributes or children. */
export const XML_TEXT_KEY = '#text';

/** One parsed element: attributes under `@_name`, text under `#text` (or the element is just its text). */
export interface XmlElement {
  readonly [key: string]: XmlValue;
}
/** What a key of an {@link XmlElement} holds: text, an element, or the repeated siblings of that name in order. */
export type XmlValue = string | XmlElement | readonly (string | XmlElement)[];

export interface XmlParserOptions {
  /** Largest document, in UTF-8 bytes, looked at. Default 1 MiB. */
  readonly maxBytes?: number;
  /** Deepest element nesting (the root is depth 1). Default 32, at most 1000. */
  readonly maxDepth?: number;
  /** Most elements + attributes + text runs + CDATA sections + processing instructions. Default 10 000. */
  readonly maxNodes?: number;
  /** Most attributes on one element. Default 32. */
  readonly maxAttributes?: number;
  /**
   * Element names that are always parsed as arrays, even when they occur once. Without it a repeated element is an
   * array and a single one is not, so `<items><item/></items>` and `<items><item/><item/></items>` have different
   * shapes (a classic source of type confusion in handlers).
   */
  readonly alwaysArray?: readonly string[];
}

/** A configured parser: see {@link createXmlParser}. */
export interface XmlParser {
  /**
   * Parses an untrusted document into a plain object tree, or throws {@link XmlError} without building any tree.
   * Bytes must be UTF-8 (a UTF-8 byte order mark is fine); a string is taken as already decoded.
   */
  parse(input: string | Uint8Array): XmlElement;
  /** The limits in force, defaults filled in. */
  readonly limits: Readonly<ScanLimits & { maxBytes: number }>;
}

/**
 * Builds an XML parser for untrusted input: fast-xml-parser behind a gate that refuses a hostile document before any
 * tree is built.
 *
 * Protects against XXE (external entities and DTDs naming `file:///etc/passwd` or `http://169.254.169.254/`,
 * parameter entities, XInclude), entity expansion bombs (billion laughs, quadratic blowup), tree bombs without a DTD
 * (deep nesting, millions of elements or attributes), encoding smuggling (UTF-16/UTF-7/EBCDIC documents that hide a
 * DOCTYPE from byte filters, encoding declarations that disagree with the bytes), parser differentials (the tree is
 * built only from documents that are well-formed XML 1.0, read the same way by the gate and the parser) and
 * prototype pollution through element or attribute names (`__proto__`, `constructor`, and every other
 * `Object.prototype` name are refused). Values are never converted: every text and attribute value is a string.
 */
export function createXmlParser(options: XmlParserOptions = {}): XmlParser {
  const limits = {
    maxBytes: positiveInteger(options.maxBytes, DEFAULT_MAX_XML_BYTES, 'maxBytes'),
    maxDepth: positiveInteger(options.maxDepth, DEFAULT_MAX_XML_DEPTH, 'maxDepth'),
    maxNodes: positiveInteger(options.maxNodes, DEFAULT_MAX_XML_NODES, 'maxNodes'),
    maxAttributes: positiveInteger(options.maxAttributes, DEFAULT_MAX_XML_ATTRIBUTES, 'maxAttributes'),
  };
  if (limits.maxDepth > DEPTH_CEILING) throw new ConfigurationError(`maxDepth must be at most ${DEPTH_CEILING}`);
  const alwaysArray: ReadonlySet<string> = new Set(options.alwaysArray ?? []);

  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: XML_ATTRIBUTE_PREFIX,
    textNodeName: XML_TEXT_KEY,
    allowBooleanAttributes: false,
    // Strings stay strings: "0x10" is not 16, "1e400" is not Infinity; conversion belongs to the schema.
    parseTagValue: false,
    parseAttributeValue: false,
    processEntities: true,
    entityDecoder: PREDEFINED_ENTITIES_ONLY,
    ignoreDeclaration: true,
    // Processing instructions (xml-stylesheet and friends) are instructions for some other processor: dropped.
    ignorePiTags: true,
    removeNSPrefix: false,
    maxNestedTags: limits.maxDepth,
    isArray: (name, _path, _isLeaf, isAttribute) => !isAttribute && alwaysArray.has(name),
    onDangerousProperty: () => {
      throw new XmlError('XML_FORBIDDEN_NAME', 0, 'name that reaches Object.prototype');
    },
  });

  return {
    limits: Object.freeze({ ...limits }),
    parse(input: string | Uint8Array): XmlElement {
      const text = decodeXmlInput(input, limits.maxBytes);
      scanXml(text, limits);
      let tree: unknown;
      try {
        tree = parser.parse(text);
      } catch (error) {
        if (error instanceof XmlError) throw error;
        // Unreachable for a document the gate accepted; the parser's own message may quote the input, so it is dropped.
        throw new XmlError('XML_MALFORMED', 0, 'refused by the XML parser');
      }
      return tree as XmlElement;
    },
  };
}

// The entity table of every parse: the five predefined entities and character references. fast-xml-parser hands a
// DOCTYPE's entities (possibly none) to `addInputEntities`; the gate refuses every DOCTYPE first, and this refuses
// again if one ever got through, so no declared entity can expand.
const PREDEFINED_ENTITIES_ONLY: EntityDecoderOptions = {
  setExternalEntities: () => undefined,
  addInputEntities: () => {
    throw new XmlError('XML_DOCTYPE_FORBIDDEN', 0, 'DOCTYPE reached the parser');
  },
  reset: () => undefined,
  decode: decodeReferences,
  setXmlVersion: () => undefined,
};

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigurationError(`${name} must be a positive integer`);
  return value;
}
