import type { Context } from 'koa';

const flags: Record<string, Record<string, boolean>> = { checkout: Object.create(null), search: Object.create(null) };

export function setFlag(ctx: Context) {
  const { section, key, enabled } = ctx.request.body as { section: string; key: string; enabled: boolean };
  if (!Object.hasOwn(flags, section)) ctx.throw(400, 'unknown section');
  flags[section][key] = Boolean(enabled);
  ctx.status = 204;
}
