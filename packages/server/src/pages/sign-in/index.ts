/**
 * The sign-in pages: registration, e-mail verification, sign-in with a second factor, sign-out, password reset,
 * step-up and the authenticator-app setup. Plain HTML forms (Post/Redirect/Get) over the same services as the JSON
 * routes; only the mailed links' fragment needs a script (`assets/link-token.js`). See README.md.
 */
import { accountsModuleOf } from '../../accounts/index.js';
import type { ServerContext } from '../../context.js';
import { loginModuleOf } from '../../login/index.js';
import { buildFactorServices } from '../../mfa/index.js';
import { formRoutes } from '../forms.js';
import { registerLoginPages } from './login.js';
import { registerPasswordResetPages } from './password-reset.js';
import { registerRegistrationPages } from './register.js';
import { registerStepUpPage } from './step-up.js';
import { registerTotpPage, TOTP_PATH } from './totp.js';
import { registerVerifyEmailPages } from './verify-email.js';

export { PENDING_LOGIN_COOKIE } from './login.js';

/**
 * The form posts of the sign-in pages, for the server's body guard (`bodyLimits({ routes })`): urlencoded, 8 KiB, on
 * exactly these paths; every other path keeps the JSON-only default.
 */
export const SIGN_IN_FORM_ROUTES = formRoutes(['/register', '/verify-email', '/login', '/login/second-factor', '/logout', '/forgot-password', '/reset-password', '/step-up', TOTP_PATH]);

/**
 * Registers the sign-in pages on `ctx.app`. The accounts and login modules must be registered first: the pages call
 * their services (one implementation per operation), and refuse to start without them.
 *
 * Protects against the threats each page names: enumeration, login CSRF, session fixation, open redirects through
 * `next`, link tokens in URLs and logs, factor changes without a recent full authentication, markup injection.
 */
export function registerSignInPages(ctx: ServerContext): void {
  const { app } = ctx;
  const accounts = accountsModuleOf(app).service;
  const login = loginModuleOf(app).browser;
  const factors = buildFactorServices(ctx);
  registerRegistrationPages(app, accounts);
  registerVerifyEmailPages(app, accounts);
  registerLoginPages(app, login);
  registerPasswordResetPages(app, accounts);
  registerStepUpPage(app, login);
  registerTotpPage(app, { db: ctx.db, clock: ctx.clock, totp: factors.totp, backupCodes: factors.backupCodes });
}
