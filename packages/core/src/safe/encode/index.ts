/**
 * Context-aware output encoding: HTML text, HTML attributes, JavaScript strings, URL components and CSS strings.
 * See README.md for which encoder belongs where and how lone surrogates are handled.
 */
export { encodeHtml, encodeHtmlAttribute } from './html.js';
export { encodeJsString } from './javascript.js';
export { encodeUrlComponent } from './url.js';
export { encodeCssString } from './css.js';
export { toWellFormed, REPLACEMENT_CHARACTER } from './well-formed.js';
