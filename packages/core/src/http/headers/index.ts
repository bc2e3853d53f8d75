// Security headers and Content-Security-Policy: the guard, the CSP builder and validator, and the nonce helpers.
export { securityHeaders, HEADERS_TO_REMOVE, type HeadersLoosening, type SecurityHeadersOptions } from './guard.js';
export { buildCsp, cspHash, type BuildCspOptions, type CspLoosening } from './csp.js';
export { SOURCE_LIST_DIRECTIVES, type CspDirectives, type SourceListDirective } from './csp-directives.js';
export { NONCE } from './csp-grammar.js';
export { validateCsp, type CspProblem, type CspProblemCode } from './csp-validate.js';
export { CSP_NONCE, cspNonce, NONCE_BYTES } from './nonce.js';
export { HSTS_DEFAULT_MAX_AGE, HSTS_MIN_MAX_AGE, type HstsOptions } from './hsts.js';
export { DENIED_FEATURES, type PermissionsPolicy } from './permissions.js';
export { API_CSP, WEB_CSP, type HeadersPreset, type ReferrerPolicy } from './presets.js';
