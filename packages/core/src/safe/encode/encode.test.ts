import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyText, wellFormed } from './arbitraries.fixtures.js';
import { encodeCssString, encodeHtml, encodeHtmlAttribute, encodeJsString, encodeUrlComponent, toWellFormed } from './index.js';
import {
  readHtmlAttribute,
  readHtmlText,
  readHtmlTitle,
  readPathSegment,
  readQueryParameter,
  readScriptString,
  readStyleAttributeString,
  readStyleString,
} from './parsers.fixtures.js';

const runs = { numRuns: 400 };
/** HTML and CSS parsers turn NUL into U+FFFD (or drop it), so the encoders do it first: this is what must read back. */
const withoutNul = (text: string): string => wellFormed(text).replaceAll('\0', '\uFFFD');

describe('encodeHtml (element content)', () => {
  it('round-trips any string through parse5 as the text of a <p> and of a <title> (property)', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const encoded = encodeHtml(text);
        expect(readHtmlText(encoded)).toBe(withoutNul(text));
        expect(readHtmlTitle(encoded)).toBe(withoutNul(text));
      }),
      runs,
    );
  });

  it('encodes the five markup characters and keeps CR, which the HTML input stream would turn into LF', () => {
    expect(encodeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(encodeHtml('a\r\nb')).toBe('a&#13;\nb');
    expect(encodeHtml('plain text é €')).toBe('plain text é €');
  });
});

describe('encodeHtmlAttribute', () => {
  it('round-trips any string through parse5 as a double-quoted, single-quoted and unquoted attribute value (property)', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const encoded = encodeHtmlAttribute(text);
        for (const quote of ['"', "'", ''] as const) expect(readHtmlAttribute(encoded, quote)).toBe(withoutNul(text));
      }),
      runs,
    );
  });

  it('leaves no ASCII character that can end or alter an attribute', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(encodeHtmlAttribute(text)).not.toMatch(/[\t\n\f\r "'`<>=/\\]/);
      }),
      runs,
    );
  });
});

describe('encodeJsString (string literal inside <script>)', () => {
  it('round-trips any string: parse5 finds one script holding the source, acorn one string literal equal to it (property)', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const encoded = encodeJsString(text);
        for (const quote of ['"', "'", '`'] as const) expect(readScriptString(encoded, quote)).toBe(wellFormed(text));
      }),
      runs,
    );
  });

  it('neutralises </script, <!--, --> and U+2028/2029 (escaped, so they never appear in the script source)', () => {
    const encoded = encodeJsString('</script><!--<script>-->\u2028\u2029');
    expect(encoded).toBe('\\x3c\\x2fscript\\x3e\\x3c!--\\x3cscript\\x3e--\\x3e\\u2028\\u2029');
    expect(encoded).not.toMatch(/<|>|\u2028|\u2029/u);
  });

  it('keeps NUL (JavaScript strings can hold it) and only ASCII escapes are emitted', () => {
    expect(readScriptString(encodeJsString('a\0b'), '"')).toBe('a\0b');
    expect(encodeJsString('héllo wörld €')).toBe('héllo wörld €');
  });
});

describe('encodeUrlComponent', () => {
  it('round-trips any string through decodeURIComponent, WHATWG URL query parsing and a path segment (property)', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const encoded = encodeUrlComponent(text);
        expect(encoded).toMatch(/^[A-Za-z0-9\-._~%]*$/);
        expect(decodeURIComponent(encoded)).toBe(wellFormed(text));
        expect(readQueryParameter(encoded)).toBe(wellFormed(text));
        // `.` and `..` are dot segments whatever the encoding (see README); every other value is one segment.
        if (text !== '.' && text !== '..') expect(readPathSegment(encoded)).toBe(wellFormed(text));
      }),
      runs,
    );
  });

  it('encodes the sub-delimiters that encodeURIComponent leaves', () => {
    expect(encodeUrlComponent("it's (a) *test*!")).toBe('it%27s%20%28a%29%20%2Atest%2A%21');
    expect(encodeUrlComponent('a&b=c#d/e?f+g')).toBe('a%26b%3Dc%23d%2Fe%3Ff%2Bg');
  });
});

describe('encodeCssString', () => {
  it('round-trips any string through parse5 <style> and css-tree as one string value, with either quote (property)', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const encoded = encodeCssString(text);
        expect(readStyleString(encoded, '"')).toBe(withoutNul(text));
        expect(readStyleString(encoded, "'")).toBe(withoutNul(text));
        expect(readStyleAttributeString(encoded)).toBe(withoutNul(text));
      }),
      runs,
    );
  });

  it('terminates every escape with a space, so a following hex digit is never absorbed', () => {
    expect(encodeCssString('"a')).toBe('\\22 a');
    expect(encodeCssString('</style>')).toBe('\\3c \\2f style\\3e ');
  });
});

describe('lone surrogates and non-strings', () => {
  it('replaces lone surrogates with U+FFFD in every context and keeps surrogate pairs', () => {
    const text = 'a\uD800b\uDFFFc\uD83D\uDE00';
    expect(toWellFormed(text)).toBe('a\uFFFDb\uFFFDc\uD83D\uDE00');
    expect(encodeHtml(text)).toBe('a\uFFFDb\uFFFDc\uD83D\uDE00');
    expect(encodeHtmlAttribute(text)).toBe('a\uFFFDb\uFFFDc\uD83D\uDE00');
    expect(encodeJsString(text)).toBe('a\uFFFDb\uFFFDc\uD83D\uDE00');
    expect(encodeCssString(text)).toBe('a\uFFFDb\uFFFDc\uD83D\uDE00');
    expect(encodeUrlComponent(text)).toBe('a%EF%BF%BDb%EF%BF%BDc%F0%9F%98%80');
    expect(() => encodeURIComponent(text)).toThrow(URIError);
  });

  it('output of every encoder is well-formed UTF-16 (property)', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        for (const encode of [encodeHtml, encodeHtmlAttribute, encodeJsString, encodeUrlComponent, encodeCssString]) {
          const out = encode(text);
          expect(toWellFormed(out)).toBe(out);
        }
      }),
      runs,
    );
  });

  it('refuses non-strings with a TypeError instead of encoding "[object Object]"', () => {
    for (const encode of [encodeHtml, encodeHtmlAttribute, encodeJsString, encodeUrlComponent, encodeCssString]) {
      expect(() => encode(42 as unknown as string)).toThrow(TypeError);
      expect(() => encode({ toString: () => '<script>' } as unknown as string)).toThrow(TypeError);
    }
  });
});
