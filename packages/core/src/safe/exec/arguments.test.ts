import { tmpdir } from 'node:os';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { toArgv } from './arguments.js';
import { ArgumentInjectionError, createRunner, operand, option, trusted, UntrustedArgument, type CheckedArguments } from './index.js';

function refusal(args: readonly unknown[]): ArgumentInjectionError {
  try {
    toArgv('git', args);
  } catch (error) {
    if (error instanceof ArgumentInjectionError) return error;
    throw error;
  }
  throw new Error('expected an ArgumentInjectionError');
}

describe('operand(): untrusted positional values', () => {
  it('passes ordinary values untouched, including shell metacharacters (there is no shell)', () => {
    expect(toArgv('git', ['log', operand('main'), operand('$(id); `id` | x > y *'), operand('')])).toEqual([
      'log',
      'main',
      '$(id); `id` | x > y *',
      '',
    ]);
  });

  it('attack: a value starting with "-" before "--" is refused with its position', () => {
    for (const value of ['-', '--', '-x', '--upload-pack=touch /tmp/pwned', '-oProxyCommand=id', '-exec']) {
      const error = refusal(['ls-remote', operand(value)]);
      expect(error).toMatchObject({ code: 'ARGUMENT_INJECTION', reason: 'option_like', index: 1, program: 'git' });
    }
  });

  it('after a trusted "--" the same values are operands', () => {
    expect(toArgv('git', ['log', '--', operand('-x'), operand('--'), operand('-')])).toEqual(['log', '--', '-x', '--', '-']);
  });

  it('attack: an untrusted "--" does not end options for the values after it', () => {
    expect(refusal([operand('--'), operand('-x')])).toMatchObject({ reason: 'option_like', index: 0 });
    expect(refusal(['log', operand('-x'), '--'])).toMatchObject({ reason: 'option_like', index: 1 });
  });

  it('attack: line breaks are refused unless allowed by name for that value', () => {
    for (const value of ['a\nb', 'a\rb', '\n', 'x\r\nX-Injected: 1']) {
      expect(refusal(['log', operand(value)])).toMatchObject({ reason: 'line_break', index: 1 });
    }
    expect(toArgv('git', ['commit', '--', operand('title\n\nbody', { allowLineBreaks: true })])).toEqual(['commit', '--', 'title\n\nbody']);
    // The loosening covers line breaks only: a dash before "--" is still refused.
    expect(refusal([operand('-x\n', { allowLineBreaks: true })])).toMatchObject({ reason: 'option_like' });
  });

  it('attack: a NUL byte is refused everywhere, trusted strings included', () => {
    expect(refusal([operand('a\0b')])).toMatchObject({ reason: 'nul_byte' });
    expect(refusal(['--', operand('\0')])).toMatchObject({ reason: 'nul_byte', index: 1 });
    expect(refusal([trusted('x\0')])).toMatchObject({ reason: 'nul_byte', index: 0 });
  });

  it('attack: values that are not strings (a parsed JSON array or object, a look-alike) are refused', () => {
    expect(refusal([operand(['-x'] as unknown as string)])).toMatchObject({ reason: 'not_a_string' });
    expect(refusal(['log', 42])).toMatchObject({ reason: 'not_a_string', index: 1 });
    expect(refusal(['log', { value: '-x', kind: 'operand' }])).toMatchObject({ reason: 'not_a_string', index: 1 });
    expect(refusal(['log', null])).toMatchObject({ reason: 'not_a_string' });
    expect(refusal('log -x' as unknown as readonly unknown[])).toMatchObject({ reason: 'not_a_string', index: -1 });
  });

  it('cannot be turned into a trusted string by accident', () => {
    const value = operand('-x');
    expect(() => String(value)).toThrow(TypeError);
    expect(() => value.toString()).toThrow(TypeError);
    expect(UntrustedArgument.is(value)).toBe(true);
    expect(UntrustedArgument.is(Object.create(UntrustedArgument.prototype))).toBe(false);
    expect(Object.isFrozen(value)).toBe(true);
  });
});

describe('option(): long options with untrusted values', () => {
  it('glues the value to its option, so a value starting with "-" stays a value', () => {
    expect(toArgv('git', ['log', option('--author', '-oProxyCommand=id'), option('--grep', '--exec=x')])).toEqual([
      'log',
      '--author=-oProxyCommand=id',
      '--grep=--exec=x',
    ]);
  });

  it('refuses names that are not long options (short options glue into flag clusters)', () => {
    for (const name of ['--', '---x', '--a=b', '--a b', '-o', 'o', '--\n']) {
      expect(refusal([option(name as `--${string}`, 'v')]), name).toMatchObject({ reason: 'invalid_option_name', index: 0 });
    }
  });

  it('attack: NUL and line breaks in the value are refused; line breaks can be allowed by name', () => {
    expect(refusal([option('--message', 'a\0b')])).toMatchObject({ reason: 'nul_byte' });
    expect(refusal([option('--message', 'a\nb')])).toMatchObject({ reason: 'line_break' });
    expect(toArgv('git', [option('--message', 'a\nb', { allowLineBreaks: true })])).toEqual(['--message=a\nb']);
  });
});

describe('error messages', () => {
  it('never contain the refused value; an escaped, truncated preview is kept for developers', () => {
    const attack = `-<script>alert(1)</script>\n${'A'.repeat(100)}`;
    const error = refusal([operand(attack)]);
    expect(error.message).not.toContain('script');
    expect(error.message).not.toContain('AAAA');
    expect(error.preview.length).toBeLessThanOrEqual(50);
    expect(error.preview).toBe(JSON.stringify(`${attack.slice(0, 40)}…`));
    expect(error.preview).not.toContain('\n');
  });
});

describe('compile-time check: a value typed string must be wrapped', () => {
  const runner = createRunner({ programs: ['printf'], cwd: tmpdir() });

  it('accepts literals, literal-prefixed templates, trusted() and untrusted arguments; refuses plain string', async () => {
    const fromRequest: string = '-oProxyCommand=id';
    const count = 3;
    expectTypeOf<CheckedArguments<readonly ['log', `--max-count=${number}`, UntrustedArgument]>>().toEqualTypeOf<
      readonly ['log', `--max-count=${number}`, UntrustedArgument]
    >();
    expectTypeOf<CheckedArguments<readonly ['log', string]>[1]>().not.toEqualTypeOf<string>();
    expectTypeOf<CheckedArguments<string[]>[number]>().not.toBeString();
    const compiles = (): readonly Promise<unknown>[] => [
      runner.run('printf', ['%s', `-n${count}`, trusted(fromRequest.toUpperCase()), operand(fromRequest)]),
      // @ts-expect-error -- a string-typed value may come from a request: the compiler asks for operand() or trusted()
      runner.run('printf', ['%s', fromRequest]),
      // @ts-expect-error -- the same for a whole array of strings
      runner.run('printf', [fromRequest, fromRequest] as string[]),
    ];
    // At run time the same wrapped call is refused: the untrusted value starts with "-".
    await expect(runner.run('printf', ['%s', operand(fromRequest)])).rejects.toMatchObject({ reason: 'option_like' });
    expectTypeOf(compiles).returns.toEqualTypeOf<readonly Promise<unknown>[]>();
  });
});
