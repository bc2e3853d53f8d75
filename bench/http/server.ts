// One benchmark server: `tsx bench/http/server.ts --framework express|fastify|hono --variant bare|rampart|peer`.
// Listens on 127.0.0.1 (a free port), serves `GET /` → {"ok":true}, prints one ready line, and exits on SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { isFramework, isVariant, READY_PREFIX, type Framework, type Ready, type Started, type Variant } from './common.js';

const { values } = parseArgs({ options: { framework: { type: 'string' }, variant: { type: 'string' } } });
const { framework, variant } = values;
if (!isFramework(framework) || !isVariant(variant)) {
  process.stderr.write('usage: server.ts --framework express|fastify|hono --variant bare|rampart|peer\n');
  process.exit(2);
}

const servers: Record<Framework, () => Promise<{ start: (variant: Variant) => Promise<Started> }>> = {
  express: () => import('./servers/express.js'),
  fastify: () => import('./servers/fastify.js'),
  hono: () => import('./servers/hono.js'),
};

const started = await (await servers[framework]()).start(variant);
const ready: Ready = { port: started.port, pieces: started.pieces, glue: started.glue };
process.stdout.write(`${READY_PREFIX}${JSON.stringify(ready)}\n`);

let closing = false;
const stop = (): void => {
  if (closing) return;
  closing = true;
  const timer = setTimeout(() => process.exit(0), 2000);
  timer.unref();
  started.close().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
