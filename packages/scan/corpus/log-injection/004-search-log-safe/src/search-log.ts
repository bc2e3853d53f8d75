import type { Context, Next } from 'koa';
import winston from 'winston';

const logger = winston.createLogger({ format: winston.format.simple(), transports: [new winston.transports.Console()] });

export async function logSearch(ctx: Context, next: Next) {
  const term = String(ctx.query.q ?? '').replace(/[\r\n]+/g, ' ');
  logger.info(`search term="${term}" user=${ctx.state.user?.id ?? 'anonymous'}`);
  await next();
}
