// Child process of wal-group-commit.test.ts, run under strace: commits without sync, prints a marker, then syncs —
// first once, then fifty callers at once. The test reads which fsyncs the kernel saw between the markers.
import Database from 'better-sqlite3';
import { writeSync } from 'node:fs';
import { walGroupCommit } from './wal-group-commit.js';

const path = process.argv[2] as string;
const db = new Database(path);
db.pragma('journal_mode = WAL');
const durability = walGroupCommit(db);
db.exec('CREATE TABLE IF NOT EXISTS t (v TEXT)');
const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
const mark = (name: string): void => {
  writeSync(1, `${name}\n`);
};

mark('COMMITS');
for (let i = 0; i < 5; i++) insert.run(`row ${i}`);
mark('SYNC-ONE');
await durability.sync();
mark('SYNC-MANY');
for (let i = 0; i < 50; i++) insert.run(`more ${i}`);
await Promise.all(Array.from({ length: 50 }, () => durability.sync()));
mark('DONE');
await durability.close();
db.close();
