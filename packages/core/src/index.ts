/**
 * @rampart/core: framework-free security controls. Each area is also its own entry point
 * (`@rampart/core/crypto`, `/password`, `/token`, `/mfa`, `/session`, `/http`, `/ratelimit`, `/validate`, `/safe`,
 * `/safe/<module>`, `/authz`, `/audit` and `/detect`); the root re-exports them as
 * namespaces so that names from different areas never collide.
 */
export * as crypto from './crypto/index.js';
export * as password from './password/index.js';
export * as token from './token/index.js';
export * as mfa from './mfa/index.js';
export * as session from './session/index.js';
export * as http from './http/index.js';
export * as ratelimit from './ratelimit/index.js';
export * as validate from './validate/index.js';
export * as safe from './safe/index.js';
export * as authz from './authz/index.js';
export * as audit from './audit/index.js';
export * as detect from './detect/index.js';
export { RampartError, ConfigurationError } from './errors.js';
export { ok, fail, type Result, type Success, type Failure } from './result.js';
export { discardEvents, securityEvent, type SecurityEvent, type SecurityEventSink, type SecurityEventType } from './events.js';
export { systemClock, ManualClock, type Clock } from './clock.js';
