import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import { ServerConfigError } from './errors.js';

/** Where the server's TLS material is (`tls` in the configuration, `RAMPART_TLS_*`): absolute paths of PEM files. */
export interface TlsSettings {
  /** The server certificate, leaf first, followed by the intermediates clients need to build the chain. */
  readonly certFile: string;
  /** Its private key (PKCS #8, PKCS #1 or SEC 1 PEM), unencrypted: the file's permissions protect it. */
  readonly keyFile: string;
  /** The CAs that vouch for client certificates (`tls_client_auth`), one PEM certificate or several. */
  readonly clientCaFile?: string;
}

/** The files' contents, checked. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  /** The client CAs (PEM), when configured. */
  readonly clientCa?: string;
  /** The server certificate (the first of `cert`). */
  readonly leaf: X509Certificate;
}

/** The oldest protocol the listener speaks (RFC 8996 deprecates TLS 1.0 and 1.1; RFC 9325 §3.1.1). */
export const TLS_MIN_VERSION = 'TLSv1.2';

/**
 * TLS 1.3's AEAD suites, and for TLS 1.2 only ECDHE key exchange with an AEAD cipher (RFC 9325 §4.2, Mozilla's
 * "intermediate" profile without finite-field DHE): forward secrecy on every connection, no CBC (Lucky13, POODLE
 * variants), no static RSA key exchange (ROBOT), no SHA-1 MACs. Node enables TLS 1.3 only when its suites are listed.
 */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

function invalid(message: string, cause?: unknown): ServerConfigError {
  return new ServerConfigError('CONFIG_TLS_INVALID', `invalid configuration: ${message}`, cause === undefined ? undefined : { cause });
}

function read(path: string, setting: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw invalid(`${setting}: cannot read ${path}`, cause);
  }
}

function certificatesOf(text: string, path: string, setting: string): X509Certificate[] {
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw invalid(`${setting}: ${path} holds no PEM certificate`);
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch (cause) {
      throw invalid(`${setting}: ${path} holds a certificate that does not parse`, cause);
    }
  });
}

/**
 * Reads and checks the server's TLS files: the certificate parses and has not expired, the key is the certificate's
 * (so the listener cannot start on a mismatched pair and fail every handshake), and every client CA is a CA. Protects
 * against a client CA file holding a leaf certificate (trusting one client by accident instead of an authority) and
 * against a key that needs a passphrase the server would have to be given in clear. Errors name the setting and
 * the path, never the key.
 */
export function readTlsFiles(settings: TlsSettings, now: number = Date.now()): TlsFiles {
  const cert = read(settings.certFile, '/tls/certFile');
  const key = read(settings.keyFile, '/tls/keyFile');
  const [leaf] = certificatesOf(cert, settings.certFile, '/tls/certFile');
  if (leaf === undefined) throw invalid(`/tls/certFile: ${settings.certFile} holds no PEM certificate`);
  if (Date.parse(leaf.validTo) <= now) throw invalid(`/tls/certFile: the certificate in ${settings.certFile} expired on ${leaf.validTo}`);
  // PKCS #8 `ENCRYPTED PRIVATE KEY`, or the legacy `Proc-Type: 4,ENCRYPTED` header of PKCS #1 / SEC 1.
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(key)) {
    throw invalid(`/tls/keyFile: ${settings.keyFile} is encrypted: give the server the decrypted key in a file only it can read`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (cause) {
    throw invalid(`/tls/keyFile: ${settings.keyFile} holds no PEM private key`, cause);
  }
  if (!leaf.checkPrivateKey(privateKey)) throw invalid(`/tls/keyFile: the key in ${settings.keyFile} is not the key of the certificate in ${settings.certFile}`);
  if (settings.clientCaFile === undefined) return { cert, key, leaf };
  const clientCa = read(settings.clientCaFile, '/tls/clientCaFile');
  for (const ca of certificatesOf(clientCa, settings.clientCaFile, '/tls/clientCaFile')) {
    if (!ca.ca) throw invalid(`/tls/clientCaFile: ${settings.clientCaFile} holds a certificate that is not a CA (${ca.subject.replace(/\n/g, ', ')}): list the authorities that issue client certificates`);
  }
  return { cert, key, clientCa, leaf };
}

/**
 * The `https.createServer` options of the server's listener: TLS 1.2 and newer with {@link TLS_CIPHERS}, the server's
 * cipher order, and a client certificate asked of every client (RFC 8705) but not required — the authorization server
 * decides per client: `tls_client_auth` accepts only a certificate verified against `clientCa` (without client CAs,
 * none is), `self_signed_tls_client_auth` accepts the one pinned certificate, and other clients need none. Browsers
 * and clients without a certificate connect as before.
 */
export function tlsServerOptions(files: TlsFiles): ServerOptions {
  return {
    cert: files.cert,
    key: files.key,
    ...(files.clientCa === undefined ? {} : { ca: files.clientCa }),
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: TLS_MIN_VERSION,
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
  };
}
