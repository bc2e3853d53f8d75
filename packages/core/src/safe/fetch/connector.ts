import type { SecureContextOptions } from 'node:tls';
import { buildConnector } from 'undici';
import type { AddressPolicy } from './address-policy.js';
import { SsrfError } from './errors.js';

export interface PinnedConnectorOptions {
  readonly policy: AddressPolicy;
  readonly connectTimeoutMs: number;
  /** Trust anchors replacing the system roots (`ca` of `tls.connect`). */
  readonly ca: SecureContextOptions['ca'] | undefined;
}

/**
 * The undici connector behind every safe request. The client dispatches to an origin that *is* the checked address
 * (`https://93.184.216.34:443`) with the host name in `Host`, from which undici takes the TLS server name, so the
 * certificate is still verified against the host name. This connector is the last gate: it opens sockets only to IP
 * literals the address policy allows — it never resolves a name — so even a dispatcher reused outside the client
 * cannot be pointed at loopback or the metadata service. Certificate verification cannot be turned off.
 */
export function pinnedConnector(options: PinnedConnectorOptions): buildConnector.connector {
  const connect = buildConnector({
    timeout: options.connectTimeoutMs,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    rejectUnauthorized: true,
  });
  return (connectOptions, callback) => {
    const verdict = options.policy.checkText(connectOptions.hostname);
    if (verdict?.allowed !== true) {
      callback(
        new SsrfError('SSRF_BLOCKED_ADDRESS', {
          ...(verdict === undefined ? {} : { address: verdict.address, range: verdict.range }),
        }),
        null,
      );
      return;
    }
    connect(connectOptions, callback);
  };
}
