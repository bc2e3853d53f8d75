/**
 * Open-redirect prevention: relative paths only by default, absolute URLs only to allowlisted origins.
 * See README.md for the threat, the refused variants and the options.
 */
export {
  redirectPolicy,
  checkRedirect,
  safeRedirect,
  assertSafeRedirect,
  DEFAULT_MAX_REDIRECT_LENGTH,
  type RedirectOptions,
  type RedirectPolicy,
} from './redirect.js';
export { RedirectRefusedError, type RedirectRefusal } from './refusal.js';
