import type { FastifyInstance } from 'fastify';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { restoreState } = require('./state.cjs');

export async function wizardRoutes(app: FastifyInstance) {
  app.post('/wizard/resume', async (request) => {
    const { state } = request.body as { state: string };
    return { step: restoreState(state).step };
  });
}
