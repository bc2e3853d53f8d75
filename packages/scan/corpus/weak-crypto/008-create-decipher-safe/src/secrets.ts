import type { Context } from 'koa';
import { createDecipher, createDecipheriv } from 'node:crypto';
import { loadSecret } from './store';

const MASTER = Buffer.from(process.env.MASTER_KEY ?? '', 'hex');

export async function revealSecret(ctx: Context) {
  const stored = await loadSecret(ctx.params.id);
  const decipher = createDecipheriv('aes-256-gcm', MASTER, Buffer.from(stored.iv, 'base64'));
  decipher.setAuthTag(Buffer.from(stored.tag, 'base64'));
  ctx.body = decipher.update(stored.ciphertext, 'base64', 'utf8') + decipher.final('utf8');
}
