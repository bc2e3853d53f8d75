/** What the scan runner reports to the test, one JSON line after this prefix (the Observatory may print other lines). */
export const RESULT_PREFIX = 'OBSERVATORY_RESULT ';

export interface ScanSummary {
  readonly grade: string | null;
  readonly score: number | null;
  readonly tests: readonly {
    readonly name: string;
    readonly pass: boolean;
    readonly result: string | null;
    readonly scoreModifier: number;
  }[];
}
