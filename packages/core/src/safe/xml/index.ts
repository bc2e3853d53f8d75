export {
  createXmlParser,
  DEFAULT_MAX_XML_ATTRIBUTES,
  DEFAULT_MAX_XML_BYTES,
  DEFAULT_MAX_XML_DEPTH,
  DEFAULT_MAX_XML_NODES,
  XML_ATTRIBUTE_PREFIX,
  XML_TEXT_KEY,
  type XmlElement,
  type XmlParser,
  type XmlParserOptions,
  type XmlValue,
} from './parser.js';
export { XmlError, type XmlErrorCode } from './errors.js';
