// `npx tsx bench/authz/run.ts`: the authorization suite alone, as a table (`npm run bench -- authz` once wired).
import { run } from './index.js';

const rows = await run();
console.table(rows.map((row) => ('ratio' in row ? { ...row, ratio: Number(row.ratio.toFixed(2)) } : { ...row, ops: Math.round(row.ops) })));
