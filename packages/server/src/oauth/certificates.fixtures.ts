/*
 * Real X.509 certificates for the mutual-TLS tests (RFC 8705), made with @peculiar/x509 over WebCrypto: a CA, client
 * certificates it issues, self-signed client certificates, and a server certificate for 127.0.0.1.
 */
import { createHash, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// WebCrypto of Node, typed as the DOM's `Crypto` @peculiar/x509 expects (the same API).
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;

/** A certificate with its key, in the forms the tests need. */
export interface TestCertificate {
  readonly pem: string;
  readonly der: Buffer;
  /** PKCS #8 PEM of the private key (for `tls.connect` / `https.createServer`). */
  readonly keyPem: string;
  readonly keys: CryptoKeyPair;
  readonly certificate: x509.X509Certificate;
}

let serial = 1;

async function finish(certificate: x509.X509Certificate, keys: CryptoKeyPair): Promise<TestCertificate> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
  return { pem: certificate.toString('pem'), der: Buffer.from(certificate.rawData), keyPem, keys, certificate };
}

async function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
}

/** A certificate authority (self-signed, CA basic constraint). */
export async function certificateAuthority(name = 'CN=Test Client CA, O=Rampart Tests'): Promise<TestCertificate> {
  const keys = await newKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: String(serial++).padStart(2, '0'),
    name,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + DAY),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  return finish(certificate, keys);
}

/** A certificate for `subject`, issued by `ca` (or self-signed without one); `ip` adds an IP SAN (a TLS server). */
export async function issueCertificate(subject: string, ca?: TestCertificate, options: { readonly ip?: string; readonly server?: boolean } = {}): Promise<TestCertificate> {
  const keys = await newKeys();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.ExtendedKeyUsageExtension([options.server === true ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
  ];
  if (options.ip !== undefined) extensions.push(new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: options.ip }]));
  const common = { serialNumber: String(serial++).padStart(2, '0'), notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + DAY), signingAlgorithm: ALGORITHM, extensions };
  const certificate =
    ca === undefined
      ? await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: subject, keys })
      : await x509.X509CertificateGenerator.create({ ...common, subject, issuer: ca.certificate.subject, publicKey: keys.publicKey, signingKey: ca.keys.privateKey });
  return finish(certificate, keys);
}

/** RFC 8705 §3.1 `x5t#S256`: the base64url SHA-256 of the certificate's DER. */
export function thumbprintOf(certificate: TestCertificate): string {
  return createHash('sha256').update(certificate.der).digest('base64url');
}

/** The certificate as nginx's `$ssl_client_escaped_cert` puts it in a header: URL-encoded PEM. */
export function escapedPem(certificate: TestCertificate): string {
  return encodeURIComponent(certificate.pem);
}
