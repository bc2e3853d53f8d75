import type { Context } from 'koa';
import { loadRows } from './rows';

type Row = Record<string, number>;
const COMPUTED: Record<string, (row: Row) => number> = {
  margin: (row) => row.revenue - row.cost,
  ratio: (row) => row.revenue / Math.max(row.cost, 1),
};

function compile(expr: string): (row: Row) => number {
  return new Function('row', `return ${expr};`) as (row: Row) => number;
}

export async function exportColumn(ctx: Context) {
  const column = compile(String(ctx.query.expr));
  ctx.body = (await loadRows()).map(column);
}
