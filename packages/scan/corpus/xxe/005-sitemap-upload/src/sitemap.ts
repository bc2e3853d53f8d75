import type { FastifyInstance } from 'fastify';
import libxmljs from 'libxmljs';

const XML_OPTIONS = { noent: true, noblanks: true };

export async function sitemapRoutes(app: FastifyInstance) {
  app.addContentTypeParser('application/xml', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/sitemaps', async (request) => {
    const doc = libxmljs.parseXml(request.body as string, XML_OPTIONS);
    return { urls: doc.find('//url/loc').map((n) => n.text()) };
  });
}
