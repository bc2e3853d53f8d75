import { readFileSync } from 'node:fs';

/** The tool name reports carry. */
export const TOOL_NAME = 'rampart';

function readVersion(): string {
  try {
    // src/review/report and dist/review/report are both three levels below the package root.
    const manifest: unknown = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    const version = (manifest as { version?: unknown }).version;
    return typeof version === 'string' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** `@rampart/scan`'s version: reports carry it so a result can be traced to the analysis that produced it. */
export const TOOL_VERSION: string = readVersion();
