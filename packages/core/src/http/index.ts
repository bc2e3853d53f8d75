// HTTP controls: the guard chain and its request view, problem details, cookies; headers, CORS, CSRF, client IP,
// body limits join as they land.
export * from './chain/index.js';
export * from './problem/index.js';
export * from './cookie/index.js';
export * from './cors/index.js';
export * from './csrf/index.js';
