import type { Context } from 'koa';
import escapeHtml from 'escape-html';
import { searchArticles } from './articles';

export async function search(ctx: Context) {
  const q = String(ctx.query.q ?? '');
  const results = await searchArticles(q);
  ctx.type = 'html';
  if (results.length === 0) {
    ctx.body = '<p class="empty">No results for ' + escapeHtml(q) + '</p>';
    return;
  }
  ctx.body = results.map((r) => `<li>${escapeHtml(r.title)}</li>`).join('');
}
