export { AddressPolicy, checkAddress, type AddressPolicyOptions, type AddressVerdict } from './address-policy.js';
export { createSafeFetch, safeFetch, type CheckedDestination, type SafeFetch } from './client.js';
export { SsrfError, type BlockedRange, type SsrfErrorCode, type SsrfErrorDetails } from './errors.js';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_FETCH_TIMEOUT_MS,
  type SafeFetchOptions,
} from './options.js';
export type { SafeFetchBody, SafeFetchHeaders, SafeFetchInit } from './request.js';
export { systemResolver, type ResolvedAddress, type Resolver } from './resolve.js';
