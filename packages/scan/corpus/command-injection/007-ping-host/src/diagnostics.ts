import { execFileSync, execSync } from 'node:child_process';
import { isIP } from 'node:net';
import { Hono } from 'hono';

export const diagnostics = new Hono();

diagnostics.post('/diagnostics/ping', async (c) => {
  const { host } = await c.req.json<{ host: string }>();
  const output = execSync(`ping -c 1 -W 2 ${host}`, { encoding: 'utf8' });
  return c.text(output);
});
