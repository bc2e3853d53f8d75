import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { XmlError, type XmlErrorCode } from './errors.js';

/** The payloads of `corpus/<name>.txt`: one per line, `#` lines are comments naming the source. */
export function readCorpus(name: 'doctype' | 'entity' | 'xinclude' | 'encoding' | 'forbidden-name' | 'malformed' | 'benign'): string[] {
  return readFileSync(new URL(`./corpus/${name}.txt`, import.meta.url), 'utf8')
    .split(/\r?\n/)
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Runs `parse` and returns the refusal it threw; fails the test when it did not throw an {@link XmlError}. */
export function refusal(parse: () => unknown): XmlError {
  try {
    parse();
  } catch (error) {
    if (error instanceof XmlError) return error;
    throw error;
  }
  throw new Error('expected an XmlError, but the document was accepted');
}

/** What a parse did, in a shape that `toEqual` can compare for a whole corpus at once. */
export function outcome(parse: (input: string) => unknown, payload: string): { payload: string; code: XmlErrorCode | 'ACCEPTED' } {
  try {
    parse(payload);
    return { payload, code: 'ACCEPTED' };
  } catch (error) {
    if (error instanceof XmlError) return { payload, code: error.code };
    throw error;
  }
}

/** fast-xml-parser as it comes, no Rampart: the baseline that shows each attack is real. */
export function unconfiguredParse(input: string): unknown {
  return new XMLParser({ ignoreAttributes: false }).parse(input);
}
