import { fileURLToPath } from 'node:url';

/** Where the labelled corpus lives: `packages/scan/corpus`, beside `src`. */
export const CORPUS_DIR = fileURLToPath(new URL('../../corpus', import.meta.url));
