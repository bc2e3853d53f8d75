import Router from '@koa/router';
import { recentCommits } from '../lib/git';

export const commits = new Router();

commits.get('/commits', (ctx) => {
  ctx.body = recentCommits(String(ctx.query.branch ?? 'main'));
});
