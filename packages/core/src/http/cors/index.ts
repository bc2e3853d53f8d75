export { cors, CORS_PREFLIGHT_REFUSED, type CorsRefusalReason } from './cors.js';
export type { CorsOptions } from './options.js';
