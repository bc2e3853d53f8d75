import { RampartError } from '../../errors.js';

/** Stable codes of {@link XmlError}; part of the public API. */
export type XmlErrorCode =
  | 'XML_TOO_LARGE'
  | 'XML_TOO_DEEP'
  | 'XML_TOO_MANY_NODES'
  | 'XML_TOO_MANY_ATTRIBUTES'
  | 'XML_DOCTYPE_FORBIDDEN'
  | 'XML_ENTITY_FORBIDDEN'
  | 'XML_XINCLUDE_FORBIDDEN'
  | 'XML_FORBIDDEN_NAME'
  | 'XML_ENCODING_UNSUPPORTED'
  | 'XML_MALFORMED';

const MESSAGES: Readonly<Record<XmlErrorCode, string>> = {
  XML_TOO_LARGE: 'the XML document is larger than allowed',
  XML_TOO_DEEP: 'the XML document nests elements deeper than allowed',
  XML_TOO_MANY_NODES: 'the XML document has more nodes than allowed',
  XML_TOO_MANY_ATTRIBUTES: 'an XML element has more attributes than allowed',
  XML_DOCTYPE_FORBIDDEN: 'the XML document contains a DOCTYPE or markup declaration, which is refused',
  XML_ENTITY_FORBIDDEN: 'the XML document references an entity other than the five predefined ones',
  XML_XINCLUDE_FORBIDDEN: 'the XML document uses XInclude, which is refused',
  XML_FORBIDDEN_NAME: 'the XML document uses an element or attribute name that is refused (prototype pollution)',
  XML_ENCODING_UNSUPPORTED: 'the XML document is not UTF-8',
  XML_MALFORMED: 'the XML document is not well-formed',
};

/**
 * Thrown when an XML document is refused. Every refusal happens before any tree is built, so a hostile document costs
 * one linear scan of at most `maxBytes`.
 *
 * The message is fixed per code and never quotes the document: an XXE payload or a crafted name must not travel back
 * to a client inside an error. `offset` (UTF-16 index into the decoded text, or byte count for size refusals) and
 * `reason` (a short fixed phrase such as `unclosed comment`) are for developers and logs.
 */
export class XmlError extends RampartError<XmlErrorCode> {
  /** Where the refusal happened: index in the decoded text (for `XML_TOO_LARGE`: the size seen). */
  readonly offset: number;
  /** A fixed, input-free phrase that narrows the code down (e.g. `end tag does not match`). */
  readonly reason: string;

  constructor(code: XmlErrorCode, offset: number, reason: string, options?: ErrorOptions) {
    super(code, `${MESSAGES[code]} (${reason}, at offset ${offset})`, options);
    this.offset = offset;
    this.reason = reason;
  }
}
