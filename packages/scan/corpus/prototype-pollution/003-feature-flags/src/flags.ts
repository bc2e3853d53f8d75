import type { Context } from 'koa';

const flags: Record<string, Record<string, boolean>> = { checkout: {}, search: {} };

export function setFlag(ctx: Context) {
  const { section, key, enabled } = ctx.request.body as { section: string; key: string; enabled: boolean };
  flags[section][key] = Boolean(enabled);
  ctx.status = 204;
}
