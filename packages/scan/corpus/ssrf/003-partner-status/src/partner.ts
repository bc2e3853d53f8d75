import axios from 'axios';
import type { Context } from 'koa';

export async function partnerStatus(ctx: Context) {
  const { data } = await axios.get(String(ctx.query.statusUrl), { timeout: 3000 });
  ctx.body = data;
}
