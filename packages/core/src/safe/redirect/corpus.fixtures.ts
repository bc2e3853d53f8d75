import { readFileSync } from 'node:fs';

/**
 * Reads a corpus file: `#` lines are comments naming the source; every other non-empty line is one payload written as
 * a JSON string body with `"` left bare (a literal backslash is `\\`), so control characters are visible (`\t`, `\u0000`) and exact.
 */
export function readCorpus(name: string): string[] {
  const text = readFileSync(new URL(`./corpus/${name}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => JSON.parse(`"${line.replaceAll('"', '\\u0022')}"`) as string);
}
