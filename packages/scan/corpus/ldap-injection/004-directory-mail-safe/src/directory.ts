import type { FastifyInstance } from 'fastify';
import { Client } from 'ldapts';

const client = new Client({ url: 'ldaps://directory.internal' });

/** RFC 4515 section 3: the filter metacharacters must be written as \XX escapes. */
function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (ch) => '\\' + ch.charCodeAt(0).toString(16).padStart(2, '0'));
}

export async function directoryRoutes(app: FastifyInstance) {
  app.get('/directory', async (request) => {
    const { email } = request.query as { email: string };
    const filter = '(&(objectClass=person)(mail=' + escapeFilterValue(email) + '))';
    const { searchEntries } = await client.search('dc=internal', { scope: 'sub', filter });
    return searchEntries.map((e) => ({ cn: e.cn, mail: e.mail }));
  });
}
