import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { outcome, readCorpus, refusal, unconfiguredParse } from './corpus.fixtures.js';
import { createXmlParser, XmlError, type XmlErrorCode } from './index.js';

const parser = createXmlParser();
const parse = (input: string) => parser.parse(input);

function expectEvery(payloads: string[], code: XmlErrorCode | 'ACCEPTED'): void {
  expect(payloads.length).toBeGreaterThan(0);
  expect(payloads.map((payload) => outcome(parse, payload))).toEqual(payloads.map((payload) => ({ payload, code })));
}

describe('XXE and DTD attacks (corpus/doctype.txt)', () => {
  const payloads = readCorpus('doctype');

  it('refuses every payload with XML_DOCTYPE_FORBIDDEN', () => {
    expect(payloads.length).toBeGreaterThanOrEqual(40);
    expectEvery(payloads, 'XML_DOCTYPE_FORBIDDEN');
  });

  it('refuses at the declaration itself, not after reading what follows it', () => {
    for (const payload of payloads) {
      const error = refusal(() => parser.parse(payload));
      expect(payload.slice(error.offset), payload).toMatch(/^<!(?:doctype|entity|element|attlist|notation|\[\s*(?:include|ignore|%))/i);
    }
  });

  it('baseline: fast-xml-parser unconfigured accepts DOCTYPEs and expands declared entities', () => {
    expect(unconfiguredParse('<!DOCTYPE r [<!ENTITY name "expanded">]><r>&name;</r>')).toEqual({ r: 'expanded' });
    expect(unconfiguredParse('<!DOCTYPE foo SYSTEM "http://169.254.169.254/latest/meta-data/"><foo/>')).toEqual({ foo: '' });
    expect(unconfiguredParse('<!DOCTYPE foo PUBLIC "-//A//B//EN" "file:///etc/passwd"><foo/>')).toEqual({ foo: '' });
    const accepted = payloads.filter((payload) => {
      try {
        unconfiguredParse(payload);
        return true;
      } catch {
        return false;
      }
    });
    expect(accepted.length).toBeGreaterThanOrEqual(10);
  });

  it('never lets a declared entity expand, even past the gate (the parser has no entity table to add to)', () => {
    const error = refusal(() => parser.parse('<!DOCTYPE r [<!ENTITY e "expanded">]><r>&e;</r>'));
    expect(error.code).toBe('XML_DOCTYPE_FORBIDDEN');
    expect(error.message).not.toContain('expanded');
  });
});

describe('references to undeclared entities (corpus/entity.txt)', () => {
  it('refuses every payload with XML_ENTITY_FORBIDDEN', () => {
    expectEvery(readCorpus('entity'), 'XML_ENTITY_FORBIDDEN');
  });

  it('baseline: fast-xml-parser unconfigured keeps them for a later processor to resolve', () => {
    expect(unconfiguredParse('<foo>&xxe;</foo>')).toEqual({ foo: '&xxe;' });
  });
});

describe('XInclude (corpus/xinclude.txt)', () => {
  it('refuses every payload with XML_XINCLUDE_FORBIDDEN', () => {
    expectEvery(readCorpus('xinclude'), 'XML_XINCLUDE_FORBIDDEN');
  });

  it('baseline: fast-xml-parser unconfigured hands the include to the application', () => {
    expect(unconfiguredParse(readCorpus('xinclude')[0] ?? '')).toMatchObject({ foo: { 'xi:include': { '@_href': 'file:///etc/passwd' } } });
  });
});

describe('encoding declarations (corpus/encoding.txt)', () => {
  it('refuses every payload with XML_ENCODING_UNSUPPORTED', () => {
    expectEvery(readCorpus('encoding'), 'XML_ENCODING_UNSUPPORTED');
  });

  it('accepts UTF-8 in any case and US-ASCII when the text is ASCII', () => {
    expect(parser.parse('<?xml version="1.0" encoding="utf-8"?><a>é</a>')).toEqual({ a: 'é' });
    expect(parser.parse("<?xml version='1.0' encoding='US-ASCII'?><a>&#233;</a>")).toEqual({ a: 'é' });
  });
});

describe('prototype pollution through names (corpus/forbidden-name.txt)', () => {
  it('refuses every payload with XML_FORBIDDEN_NAME and leaves Object.prototype untouched', () => {
    expectEvery(readCorpus('forbidden-name'), 'XML_FORBIDDEN_NAME');
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'isAdmin')).toBe(false);
  });

  it('baseline: fast-xml-parser unconfigured silently renames some of them (the data changes meaning)', () => {
    expect(unconfiguredParse('<root><toString>x</toString></root>')).toEqual({ root: { __toString: 'x' } });
  });
});

describe('well-formedness and parser differentials (corpus/malformed.txt)', () => {
  it('refuses every payload with XML_MALFORMED', () => {
    expectEvery(readCorpus('malformed'), 'XML_MALFORMED');
  });

  it('baseline: fast-xml-parser unconfigured builds a tree for most of them', () => {
    // A name holding U+1680 (legal in XML, whitespace to JavaScript): the lenient parser reads another element.
    expect(unconfiguredParse('<a\u1680b="1">x</a\u1680b>')).toEqual({ a: { '#text': 'x', '@_b': '1' } });
    expect(unconfiguredParse('<root><?pi "?><hidden/>"?></root>')).toEqual({ root: { '?pi': '' } });
    expect(unconfiguredParse('<a><b></a></b>')).toEqual({ a: { b: '' } });
  });

  it('never echoes the document in the message', () => {
    const error = refusal(() => parser.parse('<secret-token-1234></rot>'));
    expect(error.message).not.toContain('secret-token-1234');
    expect(error.message).not.toContain('rot');
    expect(error.reason).toBe('end tag does not match the open element');
  });
});

describe('benign documents (corpus/benign.txt)', () => {
  it('accepts every payload: look-alikes in CDATA, comments, PIs and escaped text are data', () => {
    expectEvery(readCorpus('benign'), 'ACCEPTED');
  });

  it('keeps CDATA holding a DOCTYPE as text', () => {
    expect(parser.parse('<r><![CDATA[<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>&e;]]></r>')).toEqual({
      r: '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>&e;',
    });
  });
});

describe('createXmlParser', () => {
  it('returns strings, attributes under @_, text under #text, repeated siblings as arrays', () => {
    expect(parser.parse('<order id="0x10"><item qty="1e400">007</item><item>true</item><note>a &amp; b</note></order>')).toEqual({
      order: { '@_id': '0x10', item: [{ '@_qty': '1e400', '#text': '007' }, 'true'], note: 'a & b' },
    });
  });

  it('makes alwaysArray elements arrays even when they occur once', () => {
    const listParser = createXmlParser({ alwaysArray: ['item'] });
    expect(listParser.parse('<items><item>a</item></items>')).toEqual({ items: { item: ['a'] } });
  });

  it('drops processing instructions and the XML declaration', () => {
    expect(parser.parse('<?xml version="1.0"?><?xml-stylesheet href="http://169.254.169.254/x.xsl"?><r/>')).toEqual({ r: '' });
  });

  it('accepts bytes (UTF-8, with or without a byte order mark)', () => {
    expect(parser.parse(Buffer.from('\uFEFF<r>é</r>', 'utf8'))).toEqual({ r: 'é' });
    expect(parser.parse(new TextEncoder().encode('<r>é</r>'))).toEqual({ r: 'é' });
  });

  it('exposes its limits with defaults filled in', () => {
    expect(createXmlParser({ maxDepth: 8 }).limits).toEqual({ maxBytes: 1_048_576, maxDepth: 8, maxNodes: 10_000, maxAttributes: 32 });
  });

  it('refuses unsafe configuration', () => {
    expect(() => createXmlParser({ maxBytes: 0 })).toThrow(ConfigurationError);
    expect(() => createXmlParser({ maxNodes: 1.5 })).toThrow(ConfigurationError);
    expect(() => createXmlParser({ maxAttributes: -1 })).toThrow(ConfigurationError);
    expect(() => createXmlParser({ maxDepth: 100_000 })).toThrow(ConfigurationError);
  });

  it('refuses input that is neither text nor bytes', () => {
    expect(() => parser.parse(42 as unknown as string)).toThrow(TypeError);
  });

  it('throws XmlError, a RampartError with a stable code', () => {
    const error = refusal(() => parser.parse('<a>'));
    expect(error).toBeInstanceOf(XmlError);
    expect(error.name).toBe('XmlError');
    expect(error.code).toBe('XML_MALFORMED');
  });
});
