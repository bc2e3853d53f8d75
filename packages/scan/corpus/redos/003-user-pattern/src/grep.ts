import type { Context } from 'koa';
import { loadLines } from './lines';

export async function grepLogs(ctx: Context) {
  const term = String(ctx.query.pattern ?? '');
  const matcher = new RegExp(term, 'i');
  ctx.body = (await loadLines()).filter((line) => matcher.test(line));
}
