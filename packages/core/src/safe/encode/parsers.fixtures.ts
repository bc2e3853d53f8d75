/*
 * Reads an encoded value back through the real parsers a browser uses (parse5 for HTML, acorn for JavaScript, css-tree
 * for CSS, WHATWG URL). Each reader returns the value the parser sees, or `undefined` when the markup around the value
 * no longer has the expected structure (an extra element, attribute, statement, declaration or parameter): that is
 * what an injection looks like.
 */
import { parse as parseJs } from 'acorn';
import * as csstree from 'css-tree';
import { parse as parseHtml, type DefaultTreeAdapterTypes } from 'parse5';

type HtmlNode = DefaultTreeAdapterTypes.Node;
type HtmlElement = DefaultTreeAdapterTypes.Element;

function elements(node: HtmlNode, out: HtmlElement[] = []): HtmlElement[] {
  if ('tagName' in node) out.push(node);
  if ('childNodes' in node) for (const child of node.childNodes) elements(child, out);
  if ('content' in node) elements(node.content, out);
  return out;
}

/** The element names of a whole document, in order (html, head, body included). */
function elementNames(document: HtmlNode): string[] {
  return elements(document).map((e) => e.tagName);
}

/** The text of an element whose children are all text nodes; `undefined` if it has any other child. */
function textOf(element: HtmlElement): string | undefined {
  let text = '';
  for (const child of element.childNodes) {
    if (child.nodeName !== '#text' || !('value' in child)) return undefined;
    text += child.value;
  }
  return text;
}

function only(document: HtmlNode, expected: readonly string[], tag: string): HtmlElement | undefined {
  const names = elementNames(document);
  if (names.join(',') !== expected.join(',')) return undefined;
  return elements(document).find((e) => e.tagName === tag);
}

/** `<p>${encoded}</p>`: the paragraph's text, if the document holds exactly html/head/body/p and the p only text. */
export function readHtmlText(encoded: string): string | undefined {
  const p = only(parseHtml(`<!DOCTYPE html><body><p>${encoded}</p></body>`), ['html', 'head', 'body', 'p'], 'p');
  return p === undefined ? undefined : textOf(p);
}

/** `<title>${encoded}</title>` (RCDATA): the title text, under the same structural condition. */
export function readHtmlTitle(encoded: string): string | undefined {
  const title = only(parseHtml(`<!DOCTYPE html><title>${encoded}</title><body></body>`), ['html', 'head', 'title', 'body'], 'title');
  return title === undefined ? undefined : textOf(title);
}

/** `<p title=${q}${encoded}${q}>x</p>` with `q` a double quote, a single quote or nothing: the only attribute's value. */
export function readHtmlAttribute(encoded: string, quote: '"' | "'" | ''): string | undefined {
  const p = only(parseHtml(`<!DOCTYPE html><body><p title=${quote}${encoded}${quote}>x</p></body>`), ['html', 'head', 'body', 'p'], 'p');
  if (p?.attrs.length !== 1 || p.attrs[0]?.name !== 'title' || textOf(p) !== 'x') return undefined;
  return p.attrs[0].value;
}

type Literal = { type: 'Literal'; value: unknown } | { type: 'TemplateLiteral'; expressions: unknown[]; quasis: { value: { cooked?: string | null } }[] };

/**
 * `<script>var x = ${q}${encoded}${q};</script>`: the value of the single string literal, if parse5 finds exactly one
 * script element holding exactly that source, and acorn finds exactly one declaration initialised by one literal.
 */
export function readScriptString(encoded: string, quote: '"' | "'" | '`'): string | undefined {
  const source = `var x = ${quote}${encoded}${quote};`;
  const script = only(parseHtml(`<!DOCTYPE html><body><script>${source}</script></body>`), ['html', 'head', 'body', 'script'], 'script');
  if (script === undefined || textOf(script) !== source) return undefined;
  let program;
  try {
    program = parseJs(source, { ecmaVersion: 'latest', sourceType: 'script' });
  } catch {
    return undefined;
  }
  const statement = program.body[0];
  if (program.body.length !== 1 || statement?.type !== 'VariableDeclaration' || statement.declarations.length !== 1) return undefined;
  const init = statement.declarations[0]?.init as Literal | null | undefined;
  if (init?.type === 'Literal') return typeof init.value === 'string' ? init.value : undefined;
  if (init?.type === 'TemplateLiteral' && init.expressions.length === 0 && init.quasis.length === 1) return init.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

function singleStringDeclaration(css: string, context: 'stylesheet' | 'declarationList'): string | undefined {
  const errors: unknown[] = [];
  const ast = csstree.parse(css, { context, onParseError: (error) => errors.push(error) });
  if (errors.length > 0) return undefined;
  const declarations = csstree.findAll(ast, (node) => node.type === 'Declaration');
  const declaration = declarations[0];
  if (declarations.length !== 1 || declaration?.type !== 'Declaration' || declaration.property !== 'content') return undefined;
  if (declaration.value.type !== 'Value' || declaration.value.children.size !== 1) return undefined;
  const value = declaration.value.children.first;
  return value?.type === 'String' ? value.value : undefined;
}

/**
 * `<style>p{content:"${encoded}"}</style>`: the string value, if parse5 keeps the whole rule inside one style element
 * and css-tree finds one `content` declaration whose value is one string, with no parse error.
 */
export function readStyleString(encoded: string, quote: '"' | "'"): string | undefined {
  const css = `p{content:${quote}${encoded}${quote}}`;
  const style = only(parseHtml(`<!DOCTYPE html><style>${css}</style><body></body>`), ['html', 'head', 'style', 'body'], 'style');
  if (style === undefined || textOf(style) !== css) return undefined;
  return singleStringDeclaration(css, 'stylesheet');
}

/** `<p style="content:'${encoded}'">x</p>`: the string, read through the attribute (parse5) and then css-tree. */
export function readStyleAttributeString(encoded: string): string | undefined {
  const declarationText = readHtmlAttributeNamed(`content:'${encoded}'`, 'style');
  return declarationText === undefined ? undefined : singleStringDeclaration(declarationText, 'declarationList');
}

function readHtmlAttributeNamed(value: string, name: string): string | undefined {
  const p = only(parseHtml(`<!DOCTYPE html><body><p ${name}="${value}">x</p></body>`), ['html', 'head', 'body', 'p'], 'p');
  if (p?.attrs.length !== 1 || p.attrs[0]?.name !== name) return undefined;
  return p.attrs[0].value;
}

/** `https://app.example/search?q=${encoded}&page=2#top`: the `q` value, if `page` and the fragment are untouched and `q` is single. */
export function readQueryParameter(encoded: string): string | undefined {
  const url = new URL(`https://app.example/search?q=${encoded}&page=2#top`);
  const q = url.searchParams.getAll('q');
  if (url.origin !== 'https://app.example' || url.pathname !== '/search' || url.hash !== '#top') return undefined;
  if (q.length !== 1 || url.searchParams.getAll('page').join() !== '2' || [...url.searchParams.keys()].length !== 2) return undefined;
  return q[0];
}

/** `https://app.example/files/${encoded}/raw`: the decoded segment, if the path still has exactly three segments. */
export function readPathSegment(encoded: string): string | undefined {
  const url = new URL(`https://app.example/files/${encoded}/raw`);
  const segments = url.pathname.split('/');
  if (url.origin !== 'https://app.example' || url.search !== '' || url.hash !== '' || segments.length !== 4) return undefined;
  if (segments[1] !== 'files' || segments[3] !== 'raw' || segments[2] === undefined) return undefined;
  try {
    return decodeURIComponent(segments[2]);
  } catch {
    return undefined;
  }
}
