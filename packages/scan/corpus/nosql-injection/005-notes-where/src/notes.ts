import type { Context } from 'koa';
import { getDb } from './mongo';

export async function notesByOwner(ctx: Context) {
  const owner = ctx.query.owner;
  const notes = getDb().collection('notes');
  ctx.body = await notes.find({ $where: `this.owner == '${owner}' && !this.archived` }).toArray();
}
