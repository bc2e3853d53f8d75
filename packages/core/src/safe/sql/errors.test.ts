import { describe, expect, it } from 'vitest';
import { RampartError } from '../../errors.js';
import { loadCorpus } from './attack.fixtures.js';
import { describeReceived } from './errors.js';
import { SqlError, sql } from './index.js';

describe('SqlError', () => {
  it('is a RampartError with a stable code', () => {
    const error = new SqlError('SQL_SORT_NOT_ALLOWED', 'refused', { received: 'x' });
    expect(error).toBeInstanceOf(RampartError);
    expect(error.name).toBe('SqlError');
    expect(error.code).toBe('SQL_SORT_NOT_ALLOWED');
    expect(error.received).toBe('string(1) "x"');
    expect(new SqlError('SQL_VALUE_UNDEFINED', 'refused').received).toBeUndefined();
  });

  it('never echoes any corpus payload in a refusal message (attack: reflected input in error responses)', () => {
    for (const { text } of loadCorpus()) {
      for (const refuse of [() => sql.identifier(text, ['id']), () => sql.orderBy(text, { id: 'id' }), () => sql.orderBy('id', { id: 'id' }, text)]) {
        try {
          refuse();
          expect.unreachable(text);
        } catch (error) {
          expect(error).toBeInstanceOf(SqlError);
          const { message, received } = error as SqlError;
          if (text.length > 3) expect(message, text).not.toContain(text);
          expect(received, text).toMatch(/^string\(\d+\) "[\x20-\x7e]*"…?$/);
        }
      }
    }
  });
});

describe('describeReceived', () => {
  it('escapes control, quote, backslash and non-ASCII characters to \\uXXXX and cuts at 40 code points', () => {
    expect(describeReceived('a"b\\c\n\u001b[0m')).toBe('string(10) "a\\u0022b\\u005cc\\u000a\\u001b[0m"');
    expect(describeReceived('😀é')).toBe('string(2) "\\ud83d\\ude00\\u00e9"');
    const long = 'x'.repeat(100);
    expect(describeReceived(long)).toBe(`string(100) "${'x'.repeat(40)}"…`);
  });

  it('names other types without their content', () => {
    expect(describeReceived(undefined)).toBe('undefined');
    expect(describeReceived(null)).toBe('null');
    expect(describeReceived([1, 2])).toBe('array(2)');
    expect(describeReceived({ secret: 'x' })).toBe('object (Object)');
    expect(describeReceived(Object.create(null))).toBe('object (null prototype)');
    expect(describeReceived(new (class Evil$Name {
      readonly marker = 1;
    })())).toBe('object (Evil$Name)');
    expect(describeReceived(() => 1)).toBe('function');
    expect(describeReceived(Symbol('s'))).toBe('symbol');
    expect(describeReceived(3n)).toBe('bigint 3');
  });
});
