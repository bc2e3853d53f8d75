import { parse as parseJs } from 'acorn';
import { describe, expect, it } from 'vitest';
import { readCorpus, wellFormed } from './arbitraries.fixtures.js';
import { encodeCssString, encodeHtml, encodeHtmlAttribute, encodeJsString, encodeUrlComponent } from './index.js';
import {
  readHtmlAttribute,
  readHtmlText,
  readPathSegment,
  readQueryParameter,
  readScriptString,
  readStyleAttributeString,
  readStyleString,
} from './parsers.fixtures.js';

const payloads = readCorpus('xss.txt');
const expected = (payload: string): string => wellFormed(payload).replaceAll('\0', '\uFFFD');

/** The escaping `he.escape`, `escape-html` and `lodash.escape` do: the five HTML characters, nothing else. */
const escapeHtmlFive = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function statementTypes(source: string): string[] {
  return parseJs(source, { ecmaVersion: 'latest' }).body.map((statement) => statement.type);
}

describe('attack: XSS corpus stays inert text in every context', () => {
  it('has a real corpus', () => {
    expect(payloads.length).toBeGreaterThanOrEqual(40);
  });

  it.each(payloads.map((p) => [JSON.stringify(p).slice(0, 60), p]))('%s', (_, payload) => {
    expect(readHtmlText(encodeHtml(payload))).toBe(expected(payload));
    for (const quote of ['"', "'", ''] as const) expect(readHtmlAttribute(encodeHtmlAttribute(payload), quote)).toBe(expected(payload));
    for (const quote of ['"', "'", '`'] as const) expect(readScriptString(encodeJsString(payload), quote)).toBe(wellFormed(payload));
    expect(readStyleString(encodeCssString(payload), '"')).toBe(expected(payload));
    expect(readStyleAttributeString(encodeCssString(payload))).toBe(expected(payload));
    expect(readQueryParameter(encodeUrlComponent(payload))).toBe(wellFormed(payload));
    expect(readPathSegment(encodeUrlComponent(payload))).toBe(wellFormed(payload));
  });
});

describe('the same payloads without the right encoder do inject (so the tests above can fail)', () => {
  const broken = (read: (raw: string) => string | undefined): number => payloads.filter((p) => read(p) !== expected(p) && read(p) !== p).length;

  it('raw concatenation breaks the structure of every context', () => {
    expect(broken(readHtmlText)).toBeGreaterThan(10);
    expect(broken((p) => readHtmlAttribute(p, '"'))).toBeGreaterThan(5);
    expect(broken((p) => readScriptString(p, '"'))).toBeGreaterThan(5);
    expect(broken((p) => readStyleString(p, '"'))).toBeGreaterThan(5);
    expect(broken(readQueryParameter)).toBeGreaterThan(3);
  });

  it('HTML-only escaping (he / escape-html / lodash.escape) fails unquoted attributes and <script> strings', () => {
    expect(readHtmlAttribute(escapeHtmlFive('x onerror=alert(1)'), '')).toBeUndefined();
    expect(readHtmlAttribute(encodeHtmlAttribute('x onerror=alert(1)'), '')).toBe('x onerror=alert(1)');
    // Inside <script> there are no character references, and a value ending in `\` swallows the closing quote, so the
    // next value on the line runs as code.
    const twoValues = (encode: (text: string) => string): string => `var a = "${encode('\\')}"; var b = "${encode(';alert(1)//')}";`;
    expect(statementTypes(twoValues(escapeHtmlFive))).toEqual(['VariableDeclaration', 'ExpressionStatement']);
    expect(statementTypes(twoValues(encodeJsString))).toEqual(['VariableDeclaration', 'VariableDeclaration']);
  });

  it('JSON.stringify is not a script-context encoder: </script> ends the element', () => {
    const json = JSON.stringify('</script><script>alert(1)</script>').slice(1, -1);
    expect(readScriptString(json, '"')).toBeUndefined();
  });
});
