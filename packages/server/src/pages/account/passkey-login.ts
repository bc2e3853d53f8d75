import type { FastifyInstance } from 'fastify';
import type { AccountFactors } from '../../mfa/index.js';
import { html } from '../html.js';
import { renderPage, sendPage } from '../layout.js';
import { seeOther } from './access.js';

/**
 * `GET /login/passkey`: sign in with a passkey alone (a discoverable credential with user verification: possession
 * and a PIN or biometric, two factors). The button (`data-passkey="login"`) is run by `assets/passkeys.js` against
 * `POST /v1/login/passkey/options` and `POST /v1/login/passkey`, where the MFA module verifies the assertion and the
 * login flow issues the session.
 *
 * Protects against phishing (the browser binds the assertion to this origin and core checks it) and against login
 * CSRF (the JSON routes sit behind the chain's CSRF guard; the page's token is in `<meta name="csrf-token">`).
 */
export function registerPasskeyLoginPage(app: FastifyInstance, factors: AccountFactors): void {
  app.get('/login/passkey', { schema: { hide: true } }, (request, reply) => {
    if (request.identity?.source === 'session') return seeOther(reply, '/account');
    const available = factors.passkeysAvailable;
    const main = available
      ? html`<p>Use the passkey saved on this device, your phone or a security key. No password needed.</p>
<button type="button" data-passkey="login" data-passkey-next="/account">Sign in with a passkey</button>
<p data-passkey-status role="alert" class="error" hidden></p>
<noscript><p>Signing in with a passkey needs JavaScript. <a href="/login">Sign in with your password</a> instead.</p></noscript>
<p><a href="/login">Sign in with your password instead</a></p>`
      : html`<p>Passkeys are not available on this server. <a href="/login">Sign in with your password</a>.</p>`;
    return sendPage(reply, 200, renderPage(request, { title: 'Sign in with a passkey', main, scripts: available ? ['passkeys.js'] : [] }));
  });
}
