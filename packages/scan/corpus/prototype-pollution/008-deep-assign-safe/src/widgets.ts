import { Hono } from 'hono';

type Json = Record<string, any>;

function deepAssign(target: Json, source: Json): Json {
  for (const key in source) {
    if (typeof source[key] === 'object' && source[key] !== null) {
      if (typeof target[key] !== 'object') target[key] = {};
      deepAssign(target[key], source[key]);
    } else {
      target[key] = source[key];
    }
  }
  return target;
}

export const widgets = new Hono();

widgets.post('/widgets/:id/config', async (c) => {
  const body = await c.req.json<Json>();
  const update = { theme: { color: String(body.theme?.color ?? 'blue') }, title: String(body.title ?? '') };
  const config = deepAssign({ theme: { color: 'blue' } }, update);
  return c.json(config);
});
