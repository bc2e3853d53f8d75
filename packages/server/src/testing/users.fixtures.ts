import { apiRequest } from './browser-client.fixtures.js';
import type { TestServer } from './server.fixtures.js';

/** A password the policy accepts, for tests that need one. */
export const TEST_PASSWORD = 'violet kettle marching under cobalt rain';

/** The token of the last link mailed to `to` for `page` (`verify-email`, `reset-password`). */
export async function mailedToken(t: TestServer, to: string, page: string): Promise<string> {
  const mail = await t.lastMailTo(to);
  const match = new RegExp(`/${page}#token=([A-Za-z0-9_-]+)`).exec(mail.text);
  if (match?.[1] === undefined) throw new Error(`no ${page} link in the mail to ${to}`);
  return match[1];
}

/** Registers `email` over the API and verifies it from the mailed link; returns the account id. */
export async function createVerifiedUser(t: TestServer, email: string, password = TEST_PASSWORD): Promise<string> {
  const registered = await apiRequest(t.url, 'POST', '/v1/accounts', { json: { email, password } });
  if (registered.status !== 202) throw new Error(`registration failed: ${registered.status} ${registered.text}`);
  const token = await mailedToken(t, email, 'verify-email');
  const verified = await apiRequest(t.url, 'POST', '/v1/accounts/verify-email', { json: { token } });
  if (verified.status !== 200) throw new Error(`verification failed: ${verified.status} ${verified.text}`);
  const row = await t.server.database.db.selectFrom('rampart_users').select('id').where('email_normalized', '=', email.toLowerCase()).executeTakeFirstOrThrow();
  return row.id;
}
