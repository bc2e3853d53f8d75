import type { Context } from 'koa';
import { loadRows } from './rows';

type Row = Record<string, number>;
const COMPUTED: Record<string, (row: Row) => number> = {
  margin: (row) => row.revenue - row.cost,
  ratio: (row) => row.revenue / Math.max(row.cost, 1),
};

function compile(expr: string): (row: Row) => number {
  const fn = COMPUTED[expr];
  if (!fn) throw new Error('unknown column');
  return fn;
}

export async function exportColumn(ctx: Context) {
  const column = compile(String(ctx.query.expr));
  ctx.body = (await loadRows()).map(column);
}
