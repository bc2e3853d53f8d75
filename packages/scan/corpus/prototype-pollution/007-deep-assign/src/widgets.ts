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
  const config = deepAssign({ theme: { color: 'blue' } }, body);
  return c.json(config);
});
