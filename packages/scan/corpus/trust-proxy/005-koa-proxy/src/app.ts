import Koa from 'koa';

export const app = new Koa();
app.proxy = true;
app.use(async (ctx) => {
  ctx.body = { ip: ctx.ip };
});
