/**
 * `flaws.json` is the answer key for `rampart review` and `probe`: it must cover every vulnerability class the
 * reviewer knows, and each marker must point at exactly one line that still exists.
 */
import { describe, expect, it } from 'vitest';
import { VULNERABILITY_CLASSES } from '../../packages/scan/src/review/types.js';
import { loadFlaws, markerLine } from './testing/flaws.js';

const flaws = loadFlaws();

describe('flaws.json', () => {
  it('plants at least one flaw of every vulnerability class, and no unknown class', () => {
    const classes = new Set(flaws.map((flaw) => flaw.class));
    expect([...classes].sort()).toEqual([...VULNERABILITY_CLASSES].sort());
  });

  it.each(flaws.map((flaw) => [`${flaw.class} in ${flaw.file}`, flaw] as const))('%s: the marker is on exactly one line', (_name, flaw) => {
    expect(markerLine(flaw)).toBeGreaterThan(0);
    expect(flaw.marker).not.toContain('\n');
    expect(flaw.route).toMatch(/^(GET|POST|PUT|PATCH|DELETE) \//);
    expect(flaw.exploit.length).toBeGreaterThan(10);
  });
});
