import { securityEvent } from '../../events.js';
import { CONTINUE, type Guard } from '../chain/types.js';
import { normalizeAddress } from './address.js';
import type { TrustedProxyResolver } from './trusted-proxies.js';

/** Headers a client has no business sending: only a proxy writes them. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip', 'x-forwarded-proto', 'x-forwarded-host'] as const;

/**
 * A guard that never refuses but reports forwarding headers arriving from a peer that is not a trusted proxy
 * (`http.client_ip.untrusted_forwarding`): either a spoofing attempt — ignored anyway by the resolver — or a proxy
 * missing from the configuration. The event names the header and the peer, never the header's value.
 */
export function untrustedForwardingMonitor(proxies?: TrustedProxyResolver): Guard {
  const trusts = proxies?.trusts ?? ((): boolean => false);
  const guard = (request: Parameters<Guard>[0], context: Parameters<Guard>[1]): typeof CONTINUE => {
    for (const name of FORWARDING_HEADERS) {
      if (request.header(name) !== undefined) {
        if (!trusts(request.peerAddress)) {
          context.emit(
            securityEvent('http.client_ip.untrusted_forwarding', undefined, {
              header: name,
              peer: normalizeAddress(request.peerAddress) ?? 'unknown',
            }),
          );
        }
        return CONTINUE;
      }
    }
    return CONTINUE;
  };
  return Object.assign(guard, { guardName: 'client-ip' });
}
