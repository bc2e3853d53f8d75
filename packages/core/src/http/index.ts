// HTTP controls: the guard chain and its request view, problem details, cookies, security headers and CSP, CORS,
// CSRF, client IP through trusted proxies, body limits and safe JSON.
export * from './chain/index.js';
export * from './problem/index.js';
export * from './cookie/index.js';
export * from './cors/index.js';
export * from './csrf/index.js';
export * from './headers/index.js';
export * from './client-ip/index.js';
export * from './body/index.js';
export * from './adapter/index.js';
