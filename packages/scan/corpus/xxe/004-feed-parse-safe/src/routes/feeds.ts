import Router from '@koa/router';
import { parseFeed } from '../xml';

export const feeds = new Router();

feeds.post('/feeds/validate', async (ctx) => {
  const doc = parseFeed(String(ctx.request.body));
  ctx.body = { items: doc.find('//item').length };
});
