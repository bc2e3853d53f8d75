import type { Context } from 'koa';

export function remember(ctx: Context, sessionId: string) {
  ctx.cookies.set('koa.sid', sessionId, { httpOnly: true, secure: true, sameSite: 'lax', signed: true });
}
