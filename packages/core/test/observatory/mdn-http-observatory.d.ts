// The package ships JavaScript with JSDoc types only; this is the part of its API the scan runner uses.
declare module '@mdn/mdn-http-observatory' {
  export interface ObservatoryTest {
    readonly pass: boolean | null;
    readonly result: string | null;
    readonly scoreModifier?: number;
  }

  export interface ObservatoryScan {
    readonly scan: {
      readonly grade: string | null;
      readonly score: number | null;
      readonly testsPassed: number;
      readonly testsFailed: number;
      readonly testsQuantity: number;
      readonly statusCode: number | null;
      readonly responseHeaders: Readonly<Record<string, string>>;
    };
    readonly tests: Readonly<Record<string, ObservatoryTest>>;
  }

  /** Scans `hostname` (with an optional `:port`) over `http://` and `https://`, as the public Observatory does. */
  export function scan(hostname: string): Promise<ObservatoryScan>;
}
