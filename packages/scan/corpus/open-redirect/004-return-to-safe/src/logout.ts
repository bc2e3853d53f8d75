import type { Context } from 'koa';

const ORIGIN = 'https://app.example.com';

export function logout(ctx: Context) {
  ctx.session = null;
  const returnTo = String(ctx.query.returnTo ?? '/');
  const target = new URL(returnTo, ORIGIN);
  ctx.redirect(target.origin === ORIGIN ? target.href : '/');
}
