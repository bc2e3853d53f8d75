import type { Context } from 'koa';
import { createDecipher, createDecipheriv } from 'node:crypto';
import { loadSecret } from './store';

const MASTER = Buffer.from(process.env.MASTER_KEY ?? '', 'hex');

export async function revealSecret(ctx: Context) {
  const stored = await loadSecret(ctx.params.id);
  const decipher = createDecipher('aes-256-cbc', MASTER);
  ctx.body = decipher.update(stored.ciphertext, 'base64', 'utf8') + decipher.final('utf8');
}
