import type { ServerContext } from '../context.js';
import { registerAccountPages } from './account/index.js';
import { serveAssets } from './assets.js';
import { html } from './html.js';
import { renderPage, sendPage } from './layout.js';
import { registerSignInPages } from './sign-in/index.js';

export { csrfField, renderPage, sendPage, type PageContent } from './layout.js';
export { html, trustedHtml, SafeHtml, type HtmlValue } from './html.js';
export { isApiPath, responseHeaders } from './headers.js';
export { ACCOUNT_FORM_ROUTES } from './account/index.js';
export { SIGN_IN_FORM_ROUTES } from './sign-in/index.js';

/**
 * The server-rendered pages: plain HTML forms that work without a front-end framework, under the `web` CSP (scripts
 * only with the response's nonce, only where WebAuthn needs one).
 */
export function registerPages(ctx: ServerContext): void {
  const { app } = ctx;
  serveAssets(app);
  app.get('/', { schema: { hide: true } }, (request, reply) => {
    const signedIn = request.identity?.source === 'session';
    const main = signedIn
      ? html`<p>You are signed in. Manage your sessions, second factors and API keys on your <a href="/account">account page</a>.</p>`
      : html`<p>Sign in to your account, or create one.</p><p><a href="/login">Sign in</a> · <a href="/register">Create an account</a> · <a href="/docs">API reference</a></p>`;
    return sendPage(reply, 200, renderPage(request, { title: 'Welcome', main, signedIn }));
  });
  registerSignInPages(ctx);
  registerAccountPages(ctx);
}
