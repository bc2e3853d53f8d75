import got from 'got';
import type { FastifyInstance } from 'fastify';
import { feeds } from './db/feeds';

export async function feedRoutes(app: FastifyInstance) {
  app.post('/feeds/refresh', async (request) => {
    const body = request.body as { feedUrl?: string; feedId?: string };
    const feed = await feeds.findOwned(request.user.id, String(body.feedId));
    const feedUrl = feed.url;
    const xml = await got(feedUrl, { timeout: { request: 5000 } }).text();
    return { bytes: xml.length };
  });
}
