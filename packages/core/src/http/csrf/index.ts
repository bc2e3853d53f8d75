// CSRF protection for cookie-authenticated routes: Fetch Metadata, origin check, signed double-submit token.
export { csrf, type CsrfGuard, type IssuedCsrfToken } from './guard.js';
export { CSRF_TOKEN } from './context.js';
export { isCsrfPending, rotateCsrfToken, verifyCsrfFormField } from './form.js';
export type { CsrfExemptRoute, CsrfOptions } from './options.js';
export type { CsrfRefusal } from './refusal.js';
