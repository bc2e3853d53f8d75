/*
 * The CSP validator. Attack: each policy shape that lets an injected script run is refused at build time, unless
 * loosened by name — and works on header values as sent, so a verifier can grade a live response.
 */
import { describe, expect, it } from 'vitest';
import { API_CSP, buildCsp, NONCE, validateCsp, WEB_CSP, type CspDirectives, type CspProblemCode } from './index.js';

const BASE: CspDirectives = { 'default-src': ["'self'"], 'object-src': ["'none'"], 'base-uri': ["'self'"] };
const ALL_CODES: CspProblemCode[] = [
  'unrestrictedScripts',
  'unsafeInlineScripts',
  'unsafeEval',
  'wildcardScriptSources',
  'missingObjectSrc',
  'missingBaseUri',
];
const HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='";

function codes(policy: string | CspDirectives): CspProblemCode[] {
  return validateCsp(policy).map((found) => found.code);
}

describe('validateCsp', () => {
  it('finds nothing wrong with the presets', () => {
    expect(validateCsp(API_CSP)).toEqual([]);
    expect(validateCsp(WEB_CSP)).toEqual([]);
    expect(validateCsp(BASE)).toEqual([]);
  });

  const unsafe: [string, CspDirectives, CspProblemCode, string][] = [
    ['no script-src nor default-src', { 'object-src': ["'none'"], 'base-uri': ["'none'"] }, 'unrestrictedScripts', 'script-src'],
    ["'unsafe-inline' in script-src", { ...BASE, 'script-src': ["'self'", "'unsafe-inline'"] }, 'unsafeInlineScripts', 'script-src'],
    ["'unsafe-inline' through default-src", { ...BASE, 'default-src': ["'self'", "'unsafe-inline'"] }, 'unsafeInlineScripts', 'default-src'],
    ["'unsafe-inline' in script-src-attr", { ...BASE, 'script-src-attr': ["'unsafe-inline'"] }, 'unsafeInlineScripts', 'script-src-attr'],
    ["'unsafe-eval'", { ...BASE, 'script-src': ["'self'", "'unsafe-eval'"] }, 'unsafeEval', 'script-src'],
    ['* for scripts', { ...BASE, 'script-src': ['*'] }, 'wildcardScriptSources', 'script-src'],
    ['https: for scripts', { ...BASE, 'script-src': ["'self'", 'https:'] }, 'wildcardScriptSources', 'script-src'],
    ['data: for scripts', { ...BASE, 'script-src-elem': ['data:'] }, 'wildcardScriptSources', 'script-src-elem'],
    ['blob: for scripts', { ...BASE, 'script-src': ['blob:'] }, 'wildcardScriptSources', 'script-src'],
    ['https://* for scripts', { ...BASE, 'script-src': ['https://*'] }, 'wildcardScriptSources', 'script-src'],
    ['https: with strict-dynamic but no nonce', { ...BASE, 'script-src': ["'strict-dynamic'", 'https:'] }, 'wildcardScriptSources', 'script-src'],
    ['no object-src, default-src self', { 'default-src': ["'self'"], 'base-uri': ["'none'"] }, 'missingObjectSrc', 'default-src'],
    ['object-src self', { ...BASE, 'object-src': ["'self'"] }, 'missingObjectSrc', 'object-src'],
    ['no base-uri', { 'default-src': ["'none'"] }, 'missingBaseUri', 'base-uri'],
    ['base-uri *', { ...BASE, 'base-uri': ['*'] }, 'missingBaseUri', 'base-uri'],
  ];
  for (const [name, policy, code, directive] of unsafe) {
    it(`attack: refuses ${name} unless loosened by name`, () => {
      expect(validateCsp(policy)).toContainEqual(expect.objectContaining({ code, directive }));
      expect(() => buildCsp(policy)).toThrow(new RegExp(code));
      // Loosening every other rule does not help; naming this one does.
      const allOthers = Object.fromEntries(ALL_CODES.filter((other) => other !== code).map((other) => [other, true] as const));
      expect(() => buildCsp(policy, { loosen: allOthers })).toThrow(new RegExp(code));
      expect(() => buildCsp(policy, { loosen: { ...allOthers, [code]: true } })).not.toThrow();
    });
  }

  it("accepts 'unsafe-inline' and host or scheme fallbacks beside a nonce and 'strict-dynamic' (ignored by CSP3 browsers)", () => {
    expect(codes({ ...BASE, 'script-src': [NONCE, "'strict-dynamic'", "'unsafe-inline'", 'https:'] })).toEqual([]);
    expect(codes({ ...BASE, 'script-src': [HASH, "'unsafe-inline'"] })).toEqual([]);
    // A hash without strict-dynamic does not excuse a scheme-only source: CSP2 browsers still load from any https host.
    expect(codes({ ...BASE, 'script-src': [HASH, 'https:'] })).toEqual(['wildcardScriptSources']);
  });

  it('the error names the code, not the offending value', () => {
    expect(() => buildCsp({ ...BASE, 'script-src': ['https:', "'unsafe-eval'"] })).toThrow(/unsafeEval.*wildcardScriptSources/);
  });
});

describe('validateCsp on header values as sent', () => {
  it('parses like a browser: case-insensitive names and keywords, first duplicate wins', () => {
    expect(codes("DEFAULT-SRC 'NONE'; base-uri 'self'")).toEqual([]);
    expect(codes("default-src 'none'; script-src 'unsafe-inline'; script-src 'self'; base-uri 'none'")).toEqual(['unsafeInlineScripts']);
    expect(codes(`script-src 'nonce-ABCDEFGHIJKLMNOPQRSTUV' 'strict-dynamic' https:; object-src 'none'; base-uri 'none'`)).toEqual([]);
  });

  it("attack: a literal 'nonce' or a malformed nonce does not excuse 'unsafe-inline' (browsers ignore them)", () => {
    const tail = "; object-src 'none'; base-uri 'none'";
    expect(codes(`script-src 'nonce' 'unsafe-inline'${tail}`)).toEqual(['unsafeInlineScripts']);
    expect(codes(`script-src 'nonce-' 'unsafe-inline'${tail}`)).toEqual(['unsafeInlineScripts']);
    expect(codes(`script-src 'nonce-a b' 'unsafe-inline'${tail}`)).toEqual(['unsafeInlineScripts']);
    expect(codes(`script-src 'sha256-!!' 'unsafe-inline'${tail}`)).toEqual(['unsafeInlineScripts']);
    expect(codes(`script-src 'nonce-abc' 'unsafe-inline'${tail}`)).toEqual([]);
  });

  it('reports everything about an empty or absent policy', () => {
    expect(codes('').sort()).toEqual(['missingBaseUri', 'missingObjectSrc', 'unrestrictedScripts']);
  });

  it('several policies are enforced together: a problem counts only if every policy has it', () => {
    const loose = "default-src * 'unsafe-inline'";
    const strict = "default-src 'none'; base-uri 'none'";
    expect(codes(`${loose}, ${strict}`)).toEqual([]);
    expect(codes(`${loose}, default-src 'none'`)).toEqual(['missingBaseUri']);
  });
});
