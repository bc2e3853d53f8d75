import { readFileSync } from 'node:fs';

/** The payload lines of `corpus/<name>`: comments (`#`) and blank lines dropped, every other line kept as written. */
export function readCorpus(name: string): string[] {
  const text = readFileSync(new URL(`./corpus/${name}`, import.meta.url), 'utf8');
  const lines = text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
  if (lines.length === 0) throw new Error(`corpus/${name} has no payloads`);
  return lines;
}

/** The payloads of a corpus whose lines are JSON string literals (so invisible characters stay visible in the file). */
export function readStringCorpus(name: string): string[] {
  return readCorpus(name).map((line) => JSON.parse(line) as string);
}

const ORIGINAL_TO_STRING: unknown = Object.getOwnPropertyDescriptor(Object.prototype, 'toString')?.value;

/** Whether anything reached Object.prototype: the observable effect of prototype pollution. */
export function prototypeIsClean(): boolean {
  return Object.keys(Object.prototype).length === 0 && Object.getOwnPropertyDescriptor(Object.prototype, 'toString')?.value === ORIGINAL_TO_STRING;
}
