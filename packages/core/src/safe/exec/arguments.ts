import { ArgumentInjectionError } from './errors.js';

declare const trustedBrand: unique symbol;

/**
 * A string the caller vouches for: it comes from code or configuration, not from a request. Made by
 * {@link trusted}; at run time it is a plain string.
 */
export type TrustedString = string & { readonly [trustedBrand]: true };

/** Per-value loosenings for untrusted arguments. */
export interface UntrustedValueOptions {
  /**
   * Named loosening: accept CR and LF in this value (a multi-line commit message). Refused by default because
   * programs write arguments into line-based files, logs and protocols, where a line break starts a new record.
   */
  readonly allowLineBreaks?: boolean;
}

type UntrustedKind = 'operand' | 'option';

/** A long option name: `--` then a letter or digit, then letters, digits, `.`, `_`, `-`. No `=`: that ends the name. */
const LONG_OPTION = /^--[A-Za-z0-9][A-Za-z0-9._-]*$/;
const LINE_BREAK = /[\r\n]/;

/**
 * An argument built from untrusted input, made only by {@link operand} or {@link option}. The runner checks it when
 * `run()` is called, where its position (before or after `--`) is known.
 */
export class UntrustedArgument {
  readonly #kind: UntrustedKind;
  readonly #name: string;
  readonly #value: unknown;
  readonly #allowLineBreaks: boolean;

  private constructor(kind: UntrustedKind, name: string, value: unknown, options: UntrustedValueOptions | undefined) {
    this.#kind = kind;
    this.#name = name;
    this.#value = value;
    this.#allowLineBreaks = options?.allowLineBreaks === true;
    Object.freeze(this);
  }

  /** @internal Use {@link operand}. */
  static operand(value: string, options?: UntrustedValueOptions): UntrustedArgument {
    return new UntrustedArgument('operand', '', value, options);
  }

  /** @internal Use {@link option}. */
  static option(name: string, value: string, options?: UntrustedValueOptions): UntrustedArgument {
    return new UntrustedArgument('option', name, value, options);
  }

  /** True for arguments made by {@link operand} or {@link option}; a look-alike object is not one. */
  static is(value: unknown): value is UntrustedArgument {
    return typeof value === 'object' && value !== null && #kind in value;
  }

  /**
   * The argv element, or an {@link ArgumentInjectionError}. `afterSeparator`: a trusted `--` came earlier, so the
   * program reads this element as an operand whatever it starts with.
   */
  render(program: string, index: number, afterSeparator: boolean): string {
    const value = this.#value;
    if (typeof value !== 'string') throw new ArgumentInjectionError(program, 'not_a_string', index, value);
    if (value.includes('\0')) throw new ArgumentInjectionError(program, 'nul_byte', index, value);
    if (!this.#allowLineBreaks && LINE_BREAK.test(value)) throw new ArgumentInjectionError(program, 'line_break', index, value);
    if (this.#kind === 'option') {
      if (!LONG_OPTION.test(this.#name)) throw new ArgumentInjectionError(program, 'invalid_option_name', index, this.#name);
      // Glued into one element: the value cannot be read as a separate option, whatever it starts with.
      return `${this.#name}=${value}`;
    }
    if (!afterSeparator && value.startsWith('-')) throw new ArgumentInjectionError(program, 'option_like', index, value);
    return value;
  }

  /** Keeps an untrusted argument from being turned into a trusted string by accident (`${arg}`, `String(arg)`). */
  toString(): never {
    throw new TypeError('exec: an untrusted argument is not a string; pass it to run() as it is');
  }
}

/**
 * Marks `value` (from a request, a file name, a user's input) as an operand: the thing a program works on, never an
 * instruction to it.
 *
 * Protects against argument injection (CWE-88): a value starting with `-` is refused unless it comes after a
 * trusted `--` in the same `args`, so `--upload-pack=…` (git), `-oProxyCommand=…` (ssh), `-exec` / `-delete` (find)
 * or `--output=…` cannot become options. NUL bytes and, unless allowed by name, line breaks are refused too.
 */
export function operand(value: string, options?: UntrustedValueOptions): UntrustedArgument {
  return UntrustedArgument.operand(value, options);
}

/**
 * An option whose value is untrusted, passed as one element `--name=value`: the value is glued to its option, so
 * even one that starts with `-` cannot be read as an option of its own.
 *
 * Only long options: a short option glued to a value (`-n<value>`) is read as a cluster of flags when the option
 * takes no argument (`-v` + `oProxyCommand=…` → `-v -o ProxyCommand=…`). Protects against argument injection through
 * option values, NUL truncation, and (unless allowed by name) line breaks.
 */
export function option(name: `--${string}`, value: string, options?: UntrustedValueOptions): UntrustedArgument {
  return UntrustedArgument.option(name, value, options);
}

/**
 * Vouches for a value that is not a string literal but does not come from a request either (a path from your
 * configuration, a computed flag). Without it the compiler refuses a `string`-typed element in `args`, because it
 * cannot tell a constant from user input. It checks nothing at run time except NUL bytes; never use it on input.
 */
export function trusted(value: string): TrustedString {
  return value as TrustedString;
}

/** An element of `args`: a trusted string (literal, or {@link trusted}) or an {@link UntrustedArgument}. */
export type Argument = string | UntrustedArgument;

/**
 * What the compiler asks for in place of an element typed plain `string`: wrap it in `operand()` / `option()` if it
 * may come from a request, or in `trusted()` if it comes from code.
 */
export interface WrapStringInOperandOptionOrTrusted {
  readonly 'a value typed string may come from a request: wrap it in operand(), option() or trusted()': never;
}

/**
 * `args` as the compiler accepts them: string literals, template literals with a literal prefix, trusted strings
 * and untrusted arguments pass; an element typed plain `string` does not, because it may hold user input.
 */
export type CheckedArguments<A extends readonly Argument[]> = {
  readonly [K in keyof A]: A[K] extends UntrustedArgument ? A[K] : string extends A[K] ? WrapStringInOperandOptionOrTrusted : A[K];
};

/**
 * Turns `args` into the argv handed to the operating system, refusing argument injection before anything runs.
 * Trusted strings pass as they are (NUL bytes refused); the first trusted `"--"` ends options, after which untrusted
 * operands may start with `-`. An untrusted `"--"` never ends options: it is itself refused before the separator.
 */
export function toArgv(program: string, args: readonly unknown[]): string[] {
  if (!Array.isArray(args)) throw new ArgumentInjectionError(program, 'not_a_string', -1, args);
  const argv: string[] = [];
  let afterSeparator = false;
  for (let index = 0; index < args.length; index += 1) {
    const arg: unknown = args[index];
    if (typeof arg === 'string') {
      if (arg.includes('\0')) throw new ArgumentInjectionError(program, 'nul_byte', index, arg);
      if (arg === '--') afterSeparator = true;
      argv.push(arg);
    } else if (UntrustedArgument.is(arg)) {
      argv.push(arg.render(program, index, afterSeparator));
    } else {
      throw new ArgumentInjectionError(program, 'not_a_string', index, arg);
    }
  }
  return argv;
}
