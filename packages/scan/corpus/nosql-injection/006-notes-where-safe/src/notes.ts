import type { Context } from 'koa';
import { getDb } from './mongo';

export async function notesByOwner(ctx: Context) {
  const owner = ctx.query.owner;
  const notes = getDb().collection('notes');
  ctx.body = await notes.find({ owner: String(owner), archived: false }).toArray();
}
