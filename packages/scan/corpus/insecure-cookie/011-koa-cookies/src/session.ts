import type { Context } from 'koa';

export function remember(ctx: Context, sessionId: string) {
  ctx.cookies.set('koa.sid', sessionId, { httpOnly: false, signed: true });
}
