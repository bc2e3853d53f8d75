import { readFileSync } from 'node:fs';

/**
 * Reads a corpus file: `#` lines are comments naming the source; every other non-empty line is one payload written as
 * a JSON string body with `"` left bare (a literal backslash is `\\`), so control characters are visible (`\n`, `\u001b`) and exact.
 */
export function readCorpus(name: string): string[] {
  const text = readFileSync(new URL(`./corpus/${name}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => JSON.parse(`"${line.replaceAll('"', '\\u0022')}"`) as string);
}

/** A secrets-corpus line: the payload with the `⟦…⟧` markers removed, and the marked secrets. */
export interface MarkedSecret {
  readonly payload: string;
  readonly secrets: readonly string[];
}

export function readMarkedCorpus(name: string): MarkedSecret[] {
  return readCorpus(name).map((line) => ({
    payload: line.replace(/[⟦⟧]/g, ''),
    secrets: [...line.matchAll(/⟦([^⟧]*)⟧/g)].map((m) => m[1] ?? ''),
  }));
}

/** Every string in a log value (keys included), so a check cannot miss a leak that JSON escaping would disguise. */
export function allStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) allStrings(item, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      out.push(key);
      allStrings(item, out);
    }
  }
  return out;
}

/** The pieces of a secret whose presence in the output would count as a leak: every window of up to 10 characters. */
export function secretWindows(secret: string): string[] {
  const size = Math.min(10, secret.length);
  const windows: string[] = [];
  for (let i = 0; i + size <= secret.length; i += 1) windows.push(secret.slice(i, i + size));
  return windows;
}
