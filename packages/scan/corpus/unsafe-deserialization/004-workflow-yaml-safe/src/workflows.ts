import type { Context } from 'koa';
import yaml from 'js-yaml';
import { saveWorkflow } from './store';

export async function importWorkflow(ctx: Context) {
  const source = String(ctx.request.body);
  const workflow = yaml.load(source, { schema: yaml.CORE_SCHEMA });
  ctx.body = await saveWorkflow(workflow);
}
