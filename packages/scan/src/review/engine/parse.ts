/**
 * Tolerant parsing with @babel/parser: TypeScript, JSX, legacy decorators (NestJS), ES modules and CommonJS. A file
 * that cannot be parsed is reported as a `FileError` and skipped, so one broken file never stops a review.
 */
import { parse, type ParserPlugin } from '@babel/parser';
import type { File } from '@babel/types';
import type { FileError } from '../types.js';
import type { SourceFile } from './api.js';

/** A parsed file. Stays in the thread that parsed it (the AST is not plain data). */
export interface ParsedModule {
  readonly file: string;
  readonly text: string;
  readonly ast: File;
  readonly lineCount: number;
}

function pluginsFor(file: string): ParserPlugin[] {
  const lower = file.toLowerCase();
  const common: ParserPlugin[] = ['decorators-legacy', 'importAttributes', 'explicitResourceManagement'];
  if (lower.endsWith('.tsx')) return ['typescript', 'jsx', ...common];
  if (/\.[mc]?ts$/.test(lower)) return ['typescript', ...common];
  return ['jsx', ...common];
}

function countLines(text: string): number {
  let lines = 1;
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) lines++;
  return lines;
}

/** Parses one file; never throws. */
export function parseSource(source: SourceFile): ParsedModule | FileError {
  try {
    const ast = parse(source.text, {
      sourceType: 'unambiguous',
      errorRecovery: true,
      allowReturnOutsideFunction: true,
      allowAwaitOutsideFunction: true,
      allowImportExportEverywhere: true,
      allowUndeclaredExports: true,
      plugins: pluginsFor(source.file),
    });
    return { file: source.file, text: source.text, ast, lineCount: countLines(source.text) };
  } catch (error) {
    const loc = (error as { loc?: { line: number; column: number } }).loc;
    const message = error instanceof Error ? error.message.replace(/\s*\(\d+:\d+\)$/, '') : String(error);
    const result: FileError = { file: source.file, message: `cannot parse: ${message}` };
    return loc === undefined ? result : { ...result, position: { line: loc.line, column: loc.column + 1 } };
  }
}

/** True when `parseSource` returned an error. */
export function isFileError(value: ParsedModule | FileError): value is FileError {
  return !('ast' in value);
}
