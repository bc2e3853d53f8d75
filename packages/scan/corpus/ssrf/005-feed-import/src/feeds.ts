import got from 'got';
import type { FastifyInstance } from 'fastify';
import { feeds } from './db/feeds';

export async function feedRoutes(app: FastifyInstance) {
  app.post('/feeds/refresh', async (request) => {
    const body = request.body as { feedUrl?: string; feedId?: string };
    const feedUrl = String(body.feedUrl);
    const xml = await got(feedUrl, { timeout: { request: 5000 } }).text();
    return { bytes: xml.length };
  });
}
