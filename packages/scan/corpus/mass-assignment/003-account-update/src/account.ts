import type { Context } from 'koa';
import { accounts } from './repositories';

export async function updateAccount(ctx: Context) {
  const account = await accounts.findOneByOrFail({ id: ctx.state.user.id });
  const body = ctx.request.body as Record<string, unknown>;
  Object.assign(account, body);
  ctx.body = await accounts.save(account);
}
