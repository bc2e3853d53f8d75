import { ConfigurationError } from '../../errors.js';
import {
  isEndpointName,
  normalizeReportUrl,
  normalizeSandboxToken,
  normalizeSource,
  normalizeTrustedTypesToken,
} from './csp-grammar.js';

/** Directives whose value is a source list (CSP3 §6.1 fetch directives, §6.2 document, §6.4 navigation). */
export const SOURCE_LIST_DIRECTIVES = [
  'default-src',
  'script-src',
  'script-src-elem',
  'script-src-attr',
  'style-src',
  'style-src-elem',
  'style-src-attr',
  'img-src',
  'font-src',
  'connect-src',
  'media-src',
  'object-src',
  'frame-src',
  'child-src',
  'worker-src',
  'manifest-src',
  'fenced-frame-src',
  'base-uri',
  'form-action',
  'frame-ancestors',
] as const;

export type SourceListDirective = (typeof SOURCE_LIST_DIRECTIVES)[number];

/**
 * A Content-Security-Policy, one key per directive, spelled as in the header (kebab-case, so a policy copied from
 * the spec or MDN reads the same). `false` removes a directive a preset would add; an absent key keeps the preset's.
 * Source lists take quoted keywords (`"'self'"`; bare `self` is quoted for you), {@link NONCE}, hashes
 * (`'sha256-…'`, see `cspHash`), schemes (`https:`) and hosts (`https://cdn.example`).
 */
export type CspDirectives = {
  readonly [K in SourceListDirective]?: readonly string[] | false;
} & {
  /** `[]` for the strictest sandbox, or `allow-*` flags. */
  readonly sandbox?: readonly string[] | false;
  /** Upgrade the page's `http:` subresource URLs to https. Sent on secure requests only (see README). */
  readonly 'upgrade-insecure-requests'?: boolean;
  /** Name of an endpoint declared in `reportingEndpoints`. */
  readonly 'report-to'?: string | false;
  /** Deprecated by `report-to` but still the only reporting some browsers support; https URLs. */
  readonly 'report-uri'?: readonly string[] | false;
  /** `["'script'"]`: DOM XSS sinks accept only Trusted Types. */
  readonly 'require-trusted-types-for'?: readonly string[] | false;
  readonly 'trusted-types'?: readonly string[] | false;
};

/** A validated policy: directive name → normalized tokens, in header order. */
export type CompiledDirectives = ReadonlyMap<string, readonly string[]>;

const KNOWN: ReadonlySet<string> = new Set<string>([
  ...SOURCE_LIST_DIRECTIVES,
  'sandbox',
  'upgrade-insecure-requests',
  'report-to',
  'report-uri',
  'require-trusted-types-for',
  'trusted-types',
]);

function refuse(message: string): never {
  throw new ConfigurationError(`Content-Security-Policy ${message}`);
}

function list(directive: string, value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) return refuse(`${directive}: expected an array of sources or false`);
  return value as readonly unknown[];
}

function sourceList(directive: string, value: unknown): readonly string[] {
  const sources = [...new Set(list(directive, value).map((raw) => normalizeSource(directive, raw)))];
  // An empty source list matches nothing (CSP3 §6.7.2.5); say so explicitly in the header.
  if (sources.length === 0) return ["'none'"];
  // 'none' next to other sources is ignored by browsers: the directive would allow what 'none' seemed to forbid.
  if (sources.includes("'none'") && sources.length > 1) refuse(`${directive}: 'none' cannot be combined with other sources`);
  return sources;
}

/**
 * Validates every directive name and token of a policy and returns its normalized form. Unknown directive names are
 * refused, not dropped: a typo (`script-scr`) would otherwise silently remove the protection it was meant to add.
 */
export function compileDirectives(directives: CspDirectives): CompiledDirectives {
  if (typeof directives !== 'object' || Array.isArray(directives)) refuse('must be an object of directives');
  const compiled = new Map<string, readonly string[]>();
  for (const [name, value] of Object.entries(directives) as [string, unknown][]) {
    if (!KNOWN.has(name)) refuse(`has an unknown directive (check the spelling; names are kebab-case)`);
    if (value === false || value === undefined) continue;
    switch (name) {
      case 'upgrade-insecure-requests':
        if (value !== true) refuse(`${name}: expected true or false`);
        compiled.set(name, []);
        break;
      case 'sandbox':
        compiled.set(name, [...new Set(list(name, value).map(normalizeSandboxToken))]);
        break;
      case 'report-to':
        if (!isEndpointName(value)) refuse(`${name}: expected an endpoint name (lower-case token)`);
        compiled.set(name, [value]);
        break;
      case 'report-uri':
        compiled.set(name, list(name, value).map((raw) => normalizeReportUrl(`Content-Security-Policy ${name}`, raw)));
        break;
      case 'require-trusted-types-for':
        if (list(name, value).some((token) => token !== "'script'")) refuse(`${name}: only "'script'" is defined`);
        compiled.set(name, ["'script'"]);
        break;
      case 'trusted-types':
        compiled.set(name, list(name, value).map(normalizeTrustedTypesToken));
        break;
      default:
        compiled.set(name, sourceList(name, value));
    }
  }
  return compiled;
}

/** Serializes a compiled policy (`name token token; name …`), with `nonceToken` in place of the nonce placeholder. */
export function serializeDirectives(directives: CompiledDirectives, nonceToken: (token: string) => string): string {
  const parts: string[] = [];
  for (const [name, tokens] of directives) {
    parts.push(tokens.length === 0 ? name : `${name} ${tokens.map(nonceToken).join(' ')}`);
  }
  return parts.join('; ');
}
