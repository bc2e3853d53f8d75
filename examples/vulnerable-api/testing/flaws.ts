/** Reads `flaws.json`, the list of planted flaws, and finds each marker's line. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PlantedFlaw {
  readonly class: string;
  /** Relative to the vulnerable API's directory, `/` separators. */
  readonly file: string;
  /** Text that occurs exactly once in `file`, on the line of the dangerous call or setting. */
  readonly marker: string;
  readonly route: string;
  readonly exploit: string;
}

/** The vulnerable API's directory: the root `rampart review` is pointed at. */
export const VULNERABLE_ROOT = fileURLToPath(new URL('..', import.meta.url));

export function loadFlaws(): PlantedFlaw[] {
  return JSON.parse(readFileSync(join(VULNERABLE_ROOT, 'flaws.json'), 'utf8')) as PlantedFlaw[];
}

/** The 1-based line of the marker, or `undefined` when it does not occur exactly once. */
export function markerLine(flaw: PlantedFlaw): number | undefined {
  const text = readFileSync(join(VULNERABLE_ROOT, flaw.file), 'utf8');
  const at = text.indexOf(flaw.marker);
  if (at < 0 || text.indexOf(flaw.marker, at + 1) >= 0) return undefined;
  return text.slice(0, at).split('\n').length;
}
