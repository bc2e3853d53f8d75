// HTTP hardening controls. Cookies first; headers, CORS and CSRF join this entry point as they land.
export * from './cookie/index.js';
