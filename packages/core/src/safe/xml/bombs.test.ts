import { describe, expect, it } from 'vitest';
import { refusal, unconfiguredParse } from './corpus.fixtures.js';
import { createXmlParser } from './index.js';

const parser = createXmlParser();

function billionLaughs(levels: number): string {
  let dtd = '<!ENTITY lol0 "lol">';
  for (let level = 1; level <= levels; level++) dtd += `<!ENTITY lol${level} "${`&lol${level - 1};`.repeat(10)}">`;
  return `<?xml version="1.0"?><!DOCTYPE lolz [${dtd}]><lolz>&lol${levels};</lolz>`;
}

describe('size cap: a 10 MB document is refused before it is decoded or scanned', () => {
  it('refuses 10 MB of bytes with XML_TOO_LARGE', () => {
    const bytes = Buffer.alloc(10 * 1024 * 1024, 0x61);
    bytes.write('<r>', 0);
    const error = refusal(() => parser.parse(bytes));
    expect(error.code).toBe('XML_TOO_LARGE');
    expect(error.offset).toBe(1_048_576);
  });

  it('refuses a 10 MB string with XML_TOO_LARGE', () => {
    expect(refusal(() => parser.parse(`<r>${'a'.repeat(10 * 1024 * 1024)}</r>`)).code).toBe('XML_TOO_LARGE');
  });

  it('counts UTF-8 bytes, not characters: 600 000 two-byte characters exceed 1 MiB', () => {
    expect(refusal(() => parser.parse(`<r>${'é'.repeat(600_000)}</r>`)).code).toBe('XML_TOO_LARGE');
  });

  it('accepts a document exactly at the cap', () => {
    const small = createXmlParser({ maxBytes: 15 });
    expect(small.parse('<r>01234567</r>')).toEqual({ r: '01234567' });
    expect(refusal(() => small.parse('<r>012345678</r>')).code).toBe('XML_TOO_LARGE');
    expect(refusal(() => small.parse(Buffer.from('<r>012345678</r>'))).code).toBe('XML_TOO_LARGE');
  });
});

describe('entity expansion bombs under the size cap are refused at the DOCTYPE', () => {
  it('billion laughs: 10^9 "lol"s from under 1 KiB', () => {
    const payload = billionLaughs(9);
    expect(payload.length).toBeLessThan(1_100);
    const error = refusal(() => parser.parse(payload));
    expect(error.code).toBe('XML_DOCTYPE_FORBIDDEN');
    expect(error.offset).toBe(payload.indexOf('<!DOCTYPE'));
  });

  it('quadratic blowup: one 100 KB entity referenced 5 000 times (500 MB once expanded)', () => {
    const payload = `<!DOCTYPE r [<!ENTITY a "${'A'.repeat(100_000)}">]><r>${'&a;'.repeat(5_000)}</r>`;
    expect(payload.length).toBeLessThan(1_048_576);
    const error = refusal(() => parser.parse(payload));
    expect(error.code).toBe('XML_DOCTYPE_FORBIDDEN');
    expect(error.offset).toBe(0);
  });

  it('baseline: fast-xml-parser unconfigured amplifies a quadratic blowup about tenfold (up to its own cap)', () => {
    const payload = `<!DOCTYPE r [<!ENTITY a "${'A'.repeat(9_000)}">]><r>${'&a;'.repeat(11)}</r>`;
    const tree = unconfiguredParse(payload) as { r: string };
    expect(tree.r.length).toBe(99_000);
    expect(tree.r.length).toBeGreaterThan(payload.length * 10);
  });
});

describe('tree bombs without a DTD are refused before any tree is built', () => {
  it('deep nesting: 100 000 open elements refused at the 33rd', () => {
    const payload = '<a>'.repeat(100_000);
    const error = refusal(() => parser.parse(payload));
    expect(error.code).toBe('XML_TOO_DEEP');
    expect(error.offset).toBe(32 * 3);
  });

  it('deep nesting that is well-formed and under the cap is refused too', () => {
    const payload = `${'<a>'.repeat(1_000)}${'</a>'.repeat(1_000)}`;
    expect(refusal(() => parser.parse(payload)).code).toBe('XML_TOO_DEEP');
  });

  it('accepts nesting exactly at maxDepth', () => {
    const payload = `${'<a>'.repeat(32)}x${'</a>'.repeat(32)}`;
    expect(() => parser.parse(payload)).not.toThrow();
    expect(refusal(() => parser.parse(`<r>${payload}</r>`)).code).toBe('XML_TOO_DEEP');
  });

  it('baseline: fast-xml-parser unconfigured builds 100 levels before its own limit', () => {
    const payload = `${'<a>'.repeat(100)}x${'</a>'.repeat(100)}`;
    expect(unconfiguredParse(payload)).toBeTypeOf('object');
  });

  it('element flood: 200 000 siblings refused at node 10 001', () => {
    const payload = `<r>${'<a/>'.repeat(200_000)}</r>`;
    const error = refusal(() => createXmlParser({ maxBytes: 8 * 1024 * 1024 }).parse(payload));
    expect(error.code).toBe('XML_TOO_MANY_NODES');
    expect(error.offset).toBe(3 + 9_999 * 4);
  });

  it('text-node flood: elements and text runs both count', () => {
    const payload = `<r>${'x<a/>'.repeat(6_000)}</r>`;
    expect(refusal(() => parser.parse(payload)).code).toBe('XML_TOO_MANY_NODES');
  });

  it('attribute flood on one element: 50 000 attributes refused at the 33rd', () => {
    let attributes = '';
    for (let index = 0; index < 50_000; index++) attributes += ` a${index}="1"`;
    const payload = `<r${attributes}/>`;
    const error = refusal(() => parser.parse(payload));
    expect(error.code).toBe('XML_TOO_MANY_ATTRIBUTES');
    expect(error.offset).toBe(payload.indexOf(' a32=') + 1);
  });

  it('attribute flood spread over elements is bounded by maxNodes', () => {
    const element = `<e${Array.from({ length: 30 }, (_, index) => ` a${index}="1"`).join('')}/>`;
    expect(refusal(() => parser.parse(`<r>${element.repeat(400)}</r>`)).code).toBe('XML_TOO_MANY_NODES');
  });

  it('baseline: fast-xml-parser unconfigured takes 5 000 attributes on one element', () => {
    let attributes = '';
    for (let index = 0; index < 5_000; index++) attributes += ` a${index}="1"`;
    const tree = unconfiguredParse(`<r${attributes}/>`) as { r: Record<string, string> };
    expect(Object.keys(tree.r)).toHaveLength(5_000);
  });

  it('limits are options: a larger document passes when the caller raises them by name', () => {
    const payload = `<r>${'<a/>'.repeat(20_000)}</r>`;
    const generous = createXmlParser({ maxNodes: 20_001 });
    expect((generous.parse(payload) as { r: { a: unknown[] } }).r.a).toHaveLength(20_000);
  });
});
