// The orchestrator with the real engine (engine/index.ts): an Express SQL injection end to end, across files, on
// threads and in-process, through the cache.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SourceFile } from './engine/api.js';
import { review } from './review.js';
import type { FileError, Finding } from './types.js';
import { DEFAULT_ENGINE_MODULE } from './workers/engine-module.js';

const temp = mkdtempSync(join(tmpdir(), 'rampart-review-engine-'));
afterAll(() => {
  rmSync(temp, { recursive: true, force: true });
});
let count = 0;
function project(files: Record<string, string>): string {
  const root = join(temp, `p${++count}`);
  write(root, files);
  return root;
}
function write(root: string, files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
}

const APP = `import express from 'express';
import { findUser } from './users.js';
import { pool } from './db.js';

const app = express();
app.get('/direct', async (req, res) => {
  res.json(await pool.query("SELECT * FROM users WHERE id = " + req.query.id));
});
app.get('/helper', async (req, res) => {
  res.json(await findUser(String(req.query.name)));
});
export default app;
`;
const USERS_VULNERABLE = `import { pool } from './db.js';
export function findUser(name: string) {
  return pool.query("SELECT * FROM users WHERE name = '" + name + "'");
}
`;
const USERS_SAFE = `import { pool } from './db.js';
export function findUser(name: string) {
  return pool.query('SELECT * FROM users WHERE name = $1', [name]);
}
`;
const DB = `import pg from 'pg';
export const pool = new pg.Pool();
`;

const lines = (findings: readonly Finding[]) => findings.map((f) => `${f.class} ${f.range.file}:${f.range.start.line}`);
/** The helper's injection, wherever the engine places it (the sink in users.ts or the call in app.ts). */
const throughHelper = (f: Finding) => f.class === 'sql-injection' && [f.range, ...f.flow.map((s) => s.range)].some((r) => r.file === 'src/users.ts');

describe('review with the engine', () => {
  it('finds the Express SQL injection, direct and through a helper in another file', async () => {
    const root = project({ 'src/app.ts': APP, 'src/users.ts': USERS_VULNERABLE, 'src/db.ts': DB });
    const result = await review({ root, threads: 0, cache: false });
    expect(lines(result.findings)).toEqual(expect.arrayContaining(['sql-injection src/app.ts:7']));
    expect(result.findings.filter(throughHelper)).toHaveLength(1);
    expect(result.filesReviewed).toBe(3);
    expect(result.errors).toEqual([]);
  });

  it('gives identical results on threads, in-process and from the engine\'s own single-threaded review', async () => {
    const files: Record<string, string> = { 'src/app.ts': APP, 'src/users.ts': USERS_VULNERABLE, 'src/db.ts': DB, 'src/bad.ts': 'export const = ;\n' };
    for (let i = 0; i < 8; i++) files[`src/routes/r${i}.ts`] = APP.replace(/\.\//g, '../').replace('/direct', `/direct${i}`);
    const root = project(files);
    const { stats: _a, ...inProcess } = await review({ root, threads: 0, cache: false });
    const { stats: _b, ...threaded } = await review({ root, threads: 3, cache: false });
    expect(threaded).toEqual(inProcess);
    expect(inProcess.errors.map((e) => e.file)).toEqual(['src/bad.ts']);
    const engineModule = (await import(DEFAULT_ENGINE_MODULE)) as { reviewSources: (sources: SourceFile[]) => { findings: Finding[]; errors: FileError[] } };
    const sources = Object.entries(files).map(([file, text]) => ({ file, text })).sort((a, b) => (a.file < b.file ? -1 : 1));
    const reference = engineModule.reviewSources(sources);
    expect(new Set(inProcess.findings.map((f) => f.fingerprint))).toEqual(new Set(reference.findings.map((f) => f.fingerprint)));
  });

  it('second run parses nothing; a changed helper changes the importer\'s finding', async () => {
    const root = project({ 'src/app.ts': APP, 'src/users.ts': USERS_VULNERABLE, 'src/db.ts': DB });
    const first = await review({ root, threads: 2 });
    const second = await review({ root, threads: 2 });
    expect(second.stats.parsedFiles).toBe(0);
    expect(second.findings).toEqual(first.findings);
    write(root, { 'src/users.ts': USERS_SAFE });
    const third = await review({ root, threads: 2 });
    expect(first.findings.filter(throughHelper)).toHaveLength(1);
    expect(third.findings.filter(throughHelper)).toEqual([]);
    expect(lines(third.findings)).toContain('sql-injection src/app.ts:7');
    expect(third.stats.parsedFiles).toBeGreaterThan(0);
  });
});
