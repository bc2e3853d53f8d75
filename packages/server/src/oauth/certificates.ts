import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import { Name, X509Certificate as ParsedCertificate } from '@peculiar/x509';
import { trustedProxies, type TrustedProxyResolver } from '@rampart/core/http';

/** Where a trusted TLS-terminating proxy puts the client's certificate, and its verdict on the chain. */
export interface ProxyCertificateHeaders {
  /**
   * The request header holding the client certificate the proxy received: URL-encoded PEM (nginx
   * `$ssl_client_escaped_cert`, Envoy's `Cert=` of XFCC decoded by the proxy), or base64 DER (AWS ALB, Traefik).
   */
  readonly certificate: string;
  /**
   * The header holding the proxy's verification result (`SUCCESS` when the chain verified against the CAs it trusts:
   * nginx `$ssl_client_verify`). Absent: the proxy's certificates count as unverified, so only
   * `self_signed_tls_client_auth` (which pins the certificate itself) accepts them.
   */
  readonly verified?: string;
}

/** Options of {@link clientCertificateSource}. */
export interface ClientCertificateOptions {
  /** `RAMPART_TRUSTED_PROXIES`: the only peers whose certificate headers are read. */
  readonly trustedProxies: readonly string[];
  /** The headers a trusted proxy sets; absent: certificates come from this server's own TLS sockets only. */
  readonly proxyHeaders?: ProxyCertificateHeaders;
  /**
   * The server's own TLS listener verifies client certificates against CAs configured for that purpose
   * (`RAMPART_TLS_CLIENT_CA_FILE`). Only then does Node's `socket.authorized` mean "issued by the client PKI": without
   * a `ca`, Node verifies against its bundled public roots, which no deployment chose as its client authority. Default
   * `false`: certificates from the socket count as unverified (`self_signed_tls_client_auth` only).
   */
  readonly socketClientCa?: boolean;
}

/** The certificate a client presented, and whether a CA the server (or its proxy) trusts vouched for its chain. */
export interface PresentedCertificate {
  readonly certificate: NodeX509Certificate;
  /** The TLS layer verified the chain (Node's `socket.authorized`, or the proxy's `SUCCESS`). */
  readonly authorized: boolean;
}

/** Reads the client certificate of a request (RFC 8705 mutual TLS). */
export type ClientCertificateSource = (request: IncomingMessage) => PresentedCertificate | undefined;

/** Longer than a client certificate gets (a 4096-bit RSA certificate is under 3 KiB as URL-encoded PEM). */
const MAX_HEADER_LENGTH = 8192;

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  // A repeated header is ambiguous (which one did the proxy write?): treated as absent.
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_HEADER_LENGTH ? value : undefined;
}

function parseHeaderCertificate(value: string): NodeX509Certificate | undefined {
  // One certificate per header: a comma never occurs in URL-encoded PEM or base64, but does when a client's copy of
  // the header was joined with the proxy's (Node joins repeated headers with ", ").
  if (value.includes(',')) return undefined;
  try {
    const text = value.includes('%') ? decodeURIComponent(value) : value;
    // nginx's older `$ssl_client_cert` puts the PEM on one line with tabs for its newlines.
    if (text.includes('-----BEGIN')) return new NodeX509Certificate(text.replace(/\t/g, '\n'));
    return new NodeX509Certificate(Buffer.from(text, 'base64'));
  } catch {
    return undefined;
  }
}

/**
 * Where the server finds a client's TLS certificate: the TLS socket when this process terminates TLS (the peer
 * certificate, `authorized` when Node verified it against the configured client CAs), or — behind a TLS-terminating
 * proxy — the header that proxy sets, read only when the TCP peer is one of `RAMPART_TRUSTED_PROXIES`.
 *
 * Protects against certificate spoofing: anyone can send a header named like the proxy's, so from any other peer it
 * is ignored (a client reaching the server directly cannot claim a certificate it does not hold), and over the
 * server's own TLS only the handshake counts; a repeated or oversized header is ignored too; a value that is not a
 * certificate is no certificate. A certificate chained to a public root is not "verified" unless its CA was
 * configured as a client CA.
 */
export function clientCertificateSource(options: ClientCertificateOptions): ClientCertificateSource {
  const headers = options.proxyHeaders;
  const proxies: TrustedProxyResolver | undefined = options.trustedProxies.length === 0 ? undefined : trustedProxies({ cidrs: options.trustedProxies });
  const socketClientCa = options.socketClientCa === true;
  return (request) => {
    const socket = request.socket;
    if (socket instanceof TLSSocket) {
      const peer = socket.getPeerX509Certificate();
      return peer === undefined ? undefined : { certificate: peer, authorized: socketClientCa && socket.authorized };
    }
    if (headers === undefined || proxies === undefined) return undefined;
    const peerAddress = socket.remoteAddress;
    if (peerAddress === undefined || !proxies.trusts(peerAddress)) return undefined;
    const value = headerValue(request, headers.certificate);
    if (value === undefined) return undefined;
    const certificate = parseHeaderCertificate(value);
    if (certificate === undefined) return undefined;
    const verdict = headers.verified === undefined ? undefined : headerValue(request, headers.verified);
    return { certificate, authorized: verdict === 'SUCCESS' };
  };
}

/**
 * Whether the certificate's subject is the distinguished name registered for a `tls_client_auth` client (RFC 8705
 * §2.1.2), both parsed by `@peculiar/x509` and compared in one canonical RFC 4514 form — so `CN=a,O=b` and
 * `CN=a, O=b` match, while `CN=a,O=b,O=c` or another order do not. Anything that does not parse matches nothing.
 */
export function subjectMatches(certificate: NodeX509Certificate, expected: string): boolean {
  try {
    const subject = new ParsedCertificate(certificate.raw).subjectName.toString();
    return subject === new Name(expected).toString();
  } catch {
    return false;
  }
}
