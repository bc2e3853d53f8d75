import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../events.js';
import { cefFormatter, escapeCefHeader, escapeCefValue } from './cef.js';
import { escapeParamValue, octetCountingFrame, rfc5424Formatter, SD_ID } from './rfc5424.js';
import { streamSink } from './stream.js';
import { parseSyslog } from './testing.fixtures.js';

const at = new Date('2026-11-28T10:00:00.123Z');
const denied: SecurityEvent = { type: 'authz.denied', at, subject: 'alice', attributes: { action: 'delete', count: 3, ok: false } };

describe('RFC 5424 formatting', () => {
  const format = rfc5424Formatter({ hostname: 'app-1.example', appName: 'shop', procId: '42' });

  it('writes PRI from facility and severity, VERSION 1, an RFC 3339 time, the header fields and one SD element', () => {
    const parsed = parseSyslog(Buffer.from(format(denied), 'utf8'));
    expect(parsed.pri).toBe(10 * 8 + 4); // authpriv, warning
    expect(parsed).toMatchObject({ version: 1, timestamp: '2026-11-28T10:00:00.123Z', hostname: 'app-1.example', appName: 'shop', procId: '42', msgId: 'authz.denied', sdId: SD_ID });
    expect(parsed.params).toEqual([['event', 'authz.denied'], ['subject', 'alice'], ['action', 'delete'], ['count', '3'], ['ok', 'false']]);
    // MSG-UTF8: the BOM, then UTF-8.
    expect([...parsed.msg.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(parsed.msg.subarray(3).toString('utf8')).toBe('authz.denied subject=alice');
  });

  it('maps severities and facilities: a likely attack is critical, a grant informational', () => {
    const audit = rfc5424Formatter({ facility: 13 });
    expect(parseSyslog(Buffer.from(audit({ type: 'token.refresh.reuse_detected', at }))).pri).toBe(13 * 8 + 2);
    expect(parseSyslog(Buffer.from(audit({ type: 'oauth.refresh.reused', at }))).pri).toBe(13 * 8 + 2);
    expect(parseSyslog(Buffer.from(audit({ type: 'oauth.code.reused', at }))).pri).toBe(13 * 8 + 2);
    expect(parseSyslog(Buffer.from(audit({ type: 'oauth.client.authentication_failed', at }))).pri).toBe(13 * 8 + 4);
    expect(parseSyslog(Buffer.from(audit({ type: 'authz.allowed', at }))).pri).toBe(13 * 8 + 6);
    expect(parseSyslog(Buffer.from(audit({ type: 'session.created', at }))).pri).toBe(13 * 8 + 5);
    expect(parseSyslog(Buffer.from(rfc5424Formatter()({ type: 'session.created', at }))).hostname).toBe('-');
  });

  it('keeps MSGID within 32 printable characters', () => {
    const parsed = parseSyslog(Buffer.from(format({ type: 'http.client_ip.untrusted_forwarding', at }), 'utf8'));
    expect(parsed.msgId).toBe('http.client_ip.untrusted_forward');
    expect(parsed.msgId.length).toBeLessThanOrEqual(32);
    expect(parsed.params[0]).toEqual(['event', 'http.client_ip.untrusted_forwarding']);
  });

  it('escapes ", \\ and ] in PARAM-VALUE (§6.3.3) and nothing else', () => {
    expect(escapeParamValue('a"b\\c]d[e=f')).toBe('a\\"b\\\\c\\]d[e=f');
  });

  it('attack: an attribute value cannot close the element and forge structured data or header fields', () => {
    const forged = 'x"] [origin ip="10.0.0.1"] [rampart@32473 event="authz.allowed';
    const parsed = parseSyslog(Buffer.from(format({ type: 'authz.denied', at, subject: 'mallory\\', attributes: { note: forged } }), 'utf8'));
    expect(parsed.params).toEqual([['event', 'authz.denied'], ['subject', 'mallory\\'], ['note', forged]]);
  });

  it('attack: attribute names with spaces, =, " or ] cannot break the PARAM-NAME syntax', () => {
    const parsed = parseSyslog(Buffer.from(format({ type: 'authz.denied', at, attributes: { 'a b="c"]': 'v', ['n'.repeat(40)]: 'w', '': 'e' } }), 'utf8'));
    expect(parsed.params.slice(1)).toEqual([['a_b__c__', 'v'], ['n'.repeat(32), 'w'], ['-', 'e']]);
  });

  it('refuses header options outside the ABNF at construction', () => {
    expect(() => rfc5424Formatter({ hostname: 'has space' })).toThrow(/hostname/);
    expect(() => rfc5424Formatter({ hostname: 'h'.repeat(256) })).toThrow(/hostname/);
    expect(() => rfc5424Formatter({ appName: 'a'.repeat(49) })).toThrow(/appName/);
    expect(() => rfc5424Formatter({ procId: 'é' })).toThrow(/procId/);
    expect(() => rfc5424Formatter({ facility: 24 })).toThrow(/facility/);
  });

  it('frames with the octet count, not the character count', () => {
    const frame = octetCountingFrame('é€');
    expect(frame.toString('utf8')).toBe('5 é€');
  });
});

describe('CEF formatting', () => {
  const format = cefFormatter({ vendor: 'Acme|Corp', product: 'shop\\app', version: '2.0' });

  it('writes the CEF:0 header and the extension', () => {
    expect(format(denied)).toBe(`CEF:0|Acme\\|Corp|shop\\\\app|2.0|authz.denied|authz.denied|6|rt=${at.getTime()} suser=alice action=delete count=3 ok=false`);
    expect(cefFormatter()({ type: 'detect.alert', at })).toBe(`CEF:0|Rampart|rampart|1|detect.alert|detect.alert|9|rt=${at.getTime()}`);
  });

  it('escapes header fields: | and \\ (and CR/LF become a space)', () => {
    expect(escapeCefHeader('a|b\\c\r\nd\ne')).toBe('a\\|b\\\\c d e');
  });

  it('escapes extension values: \\, = and newlines; a pipe needs no escaping there', () => {
    expect(escapeCefValue('a=b\\c\nd\re|f')).toBe('a\\=b\\\\c\\nd\\re|f');
  });

  it('attack: a value cannot add an extension key or a second event line', () => {
    const line = format({ type: 'auth.login.failed', at, subject: 'eve act=allowed', attributes: { 'reason x=1': 'bad\nCEF:0|Rampart|rampart|1|authz.allowed|authz.allowed|1|suser=eve' } });
    expect(line).not.toMatch(/[\r\n]/);
    const extension = line.split(/(?<!\\)\|/).slice(7).join('|');
    // Split on unescaped `=`: only the keys the formatter wrote appear.
    const keys = [...extension.matchAll(/(?:^| )([A-Za-z0-9_.]+)=(?<!\\=)/g)].map((match) => match[1]);
    expect(keys).toEqual(['rt', 'suser', 'reason_x_1']);
  });
});

describe('streamSink', () => {
  it('writes one CEF line per event to the stream', async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
    const sink = streamSink({ stream });
    sink.write(denied);
    sink.write({ type: 'authz.allowed', at, attributes: { note: 'two\nlines' } });
    await sink.close();
    const lines = chunks.join('').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe(`CEF:0|Rampart|rampart|1|authz.allowed|authz.allowed|1|rt=${at.getTime()} note=two\\nlines`);
    expect(sink.stats()).toEqual({ sent: 2, dropped: 0, failed: 0, buffered: 0 });
  });

  it('attack: a custom format that emits a newline is refused per event, not written as two lines', async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
    const sink = streamSink({ stream, format: (event) => `${event.type} ${String(event.attributes?.note)}` });
    sink.write({ type: 'authz.denied', at, attributes: { note: 'ok' } });
    sink.write({ type: 'authz.denied', at, attributes: { note: 'forged\nauthz.allowed' } });
    await sink.close();
    expect(chunks.join('')).toBe('authz.denied ok\n');
    expect(sink.stats()).toEqual({ sent: 1, dropped: 0, failed: 1, buffered: 0 });
  });
});
