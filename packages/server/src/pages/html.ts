import { encodeHtml, encodeHtmlAttribute } from '@rampart/core/safe';

/** Markup the server built: only {@link html} and {@link trustedHtml} make one, so untrusted text cannot pass as it. */
export class SafeHtml {
  readonly #markup: string;
  private constructor(markup: string) {
    this.#markup = markup;
  }
  /** @internal */
  static of(markup: string): SafeHtml {
    return new SafeHtml(markup);
  }
  toString(): string {
    return this.#markup;
  }
}

/** What a template may interpolate: text (encoded), numbers, markup already built, lists of those, or nothing. */
export type HtmlValue = string | number | SafeHtml | null | undefined | false | readonly HtmlValue[];

function render(value: HtmlValue, inAttribute: boolean): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map((item) => render(item, inAttribute)).join('');
  const text = typeof value === 'number' ? String(value) : (value as string);
  return inAttribute ? encodeHtmlAttribute(text) : encodeHtml(text);
}

// An interpolation right after `="` or `='` sits in a quoted attribute value: attribute encoding applies there.
const IN_QUOTED_ATTRIBUTE = /=\s*["'][^"']*$/;
// An unquoted attribute value can be broken by a space; templates must quote every attribute they interpolate into.
const IN_UNQUOTED_ATTRIBUTE = /=\s*$/;

/**
 * The pages' template tag: every interpolated string is HTML-encoded (attribute-encoded inside a quoted attribute
 * value), so text from a user, a database or a request can never become markup. An interpolation in an unquoted
 * attribute value is refused when the template runs: one space there would start a new attribute.
 *
 * Written here rather than taken from a template engine: the pages are a dozen small forms, and a tag that cannot
 * emit unencoded text is the whole requirement (core's encoders do the encoding). Engines that auto-escape by default
 * (Eta, Nunjucks with autoescape) were considered; each adds a second syntax whose raw-output escape hatch
 * (`<%~`, `| safe`) is one character away.
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) {
    if (IN_UNQUOTED_ATTRIBUTE.test(out)) throw new TypeError('html: quote every attribute value that holds an interpolation');
    out += render(values[i] ?? null, IN_QUOTED_ATTRIBUTE.test(out)) + (strings[i + 1] ?? '');
  }
  return SafeHtml.of(out);
}

/** Markup written in the server's own source (a constant), never built from input. */
export function trustedHtml(constantMarkup: string): SafeHtml {
  return SafeHtml.of(constantMarkup);
}
