export { forwardedNodeHost, normalizeAddress } from './address.js';
export { untrustedForwardingMonitor } from './monitor.js';
export { trustedProxies, type ForwardingHeader, type TrustedProxiesOptions, type TrustedProxyResolver } from './trusted-proxies.js';
