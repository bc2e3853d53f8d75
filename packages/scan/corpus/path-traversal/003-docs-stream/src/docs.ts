import { createReadStream } from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';

const DOCS = path.resolve('public/docs');
export const docs = new Router();

docs.get('/docs/:file', (ctx) => {
  const target = path.resolve(DOCS, ctx.params.file);
  ctx.type = path.extname(target);
  ctx.body = createReadStream(target);
});
