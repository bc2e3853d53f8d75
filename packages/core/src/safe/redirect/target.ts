import { fail, ok, type Result } from '../../result.js';
import type { RedirectRefusal } from './refusal.js';

/*
 * Characters no redirect target needs and attackers use: C0 controls (WHATWG URL silently strips tab, CR and LF, so
 * `java\tscript:` *is* `javascript:`; CR/LF split a Location header), DEL, C1 controls (NEL), U+2028/2029, bidi
 * overrides that make `moc.live//` read as something else, and the BOM.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const FORBIDDEN = /[\0-\x1F\x7F-\x9F\u061C\u200E\u200F\u2028-\u202E\u2066-\u2069\uFEFF]/;

/** A stand-in origin under the reserved `.invalid` TLD (RFC 6761 §6.4): a relative target must resolve back to it. */
const SENTINEL = new URL('https://rampart-redirect.invalid/');

/** Percent-decoding is applied at most this many times before a still-encoded target is refused. */
export const MAX_DECODE_LAYERS = 3;

/** Decodes each run of `%XX` as UTF-8 bytes; invalid sequences become U+FFFD instead of throwing like decodeURIComponent. */
function percentDecode(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => Buffer.from(run.replaceAll('%', ''), 'hex').toString('utf8'));
}

/**
 * The target as sent, then each percent-decoding of it (lenient: invalid UTF-8 becomes U+FFFD), until nothing
 * changes. A proxy, framework or second redirect may decode once more than we expect; every layer must be safe.
 */
function decodeLayers(target: string): Result<string[], RedirectRefusal> {
  const layers = [target];
  let current = target;
  for (let i = 0; i <= MAX_DECODE_LAYERS; i += 1) {
    if (!current.includes('%')) return ok(layers);
    const next = percentDecode(current);
    if (next === current) return ok(layers);
    if (i === MAX_DECODE_LAYERS) break;
    layers.push(next);
    current = next;
  }
  return fail('too_deeply_encoded');
}

/**
 * One layer of a relative target: it must stay a path on our origin however it is read — raw, after NFKC (fullwidth
 * `／／evil.com` becomes `//evil.com` in a normalizing proxy), and after WHATWG URL resolution (which turns
 * `/.//evil.com` and `/a/..//evil.com` into a path starting `//`).
 */
function checkRelativeLayer(layer: string): RedirectRefusal | undefined {
  if (FORBIDDEN.test(layer)) return 'control_character';
  if (!layer.startsWith('/')) return 'not_relative';
  const normalized = layer.normalize('NFKC');
  if (/^[/\\]{2}/.test(layer) || /^[/\\]{2}/.test(normalized)) return 'scheme_relative';
  let url: URL;
  try {
    url = new URL(layer, SENTINEL);
  } catch {
    return 'malformed';
  }
  if (url.origin !== SENTINEL.origin) return 'leaves_origin';
  if (url.pathname.startsWith('//')) return 'scheme_relative';
  return undefined;
}

/**
 * Checks a target that starts with `/` and returns its WHATWG serialisation (`pathname + search + hash`): pure ASCII,
 * percent-encoded, dot segments resolved, so what we hand to the Location header is exactly what was checked.
 */
export function checkRelativeTarget(target: string): Result<string, RedirectRefusal> {
  if (target.includes('\\')) return fail('backslash');
  const layers = decodeLayers(target);
  if (!layers.ok) return layers;
  for (const layer of layers.value) {
    const refusal = checkRelativeLayer(layer);
    if (refusal !== undefined) return fail(refusal);
  }
  const url = new URL(target, SENTINEL);
  const serialized = `${url.pathname}${url.search}${url.hash}`;
  const refusal = checkRelativeLayer(serialized);
  return refusal === undefined ? ok(serialized) : fail(refusal);
}

/**
 * Checks an absolute target: it must parse as a URL whose origin is exactly one of `allowedOrigins`, with no
 * credentials (`https://good.com@evil.com` has host `evil.com`; `https://user:pass@good.com` is a phishing aid), and
 * no character the URL parser would silently drop or reinterpret. Returns the parsed `href`.
 */
export function checkAbsoluteTarget(target: string, allowedOrigins: ReadonlySet<string>): Result<string, RedirectRefusal> {
  if (allowedOrigins.size === 0) return fail('not_relative');
  if (target.includes('\\')) return fail('backslash');
  const layers = decodeLayers(target);
  if (!layers.ok) return layers;
  if (layers.value.some((layer) => FORBIDDEN.test(layer))) return fail('control_character');
  if (/\s/.test(target)) return fail('malformed');
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return fail('malformed');
  }
  if (url.username !== '' || url.password !== '') return fail('credentials');
  if (!allowedOrigins.has(url.origin)) return fail('origin_not_allowed');
  return ok(url.href);
}
