export { CookieError, type CookieField } from './error.js';
export { parseCookies, type ParseCookiesOptions } from './parse.js';
export {
  cookieName,
  serializeCookie,
  serializeCookieDeletion,
  type CookieNameOptions,
  type CookieOptions,
  type CookiePrefix,
  type SameSite,
} from './serialize.js';
