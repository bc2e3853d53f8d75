/*
 * Certificates made for one test run with @peculiar/x509: a CA and a server certificate for 127.0.0.1, and
 * self-signed client certificates (RFC 8705 §2.2: a certificate-bound token may name a self-signed certificate; what
 * binds is its exact DER, not a chain).
 */
import { webcrypto } from 'node:crypto';
import {
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  X509CertificateGenerator,
} from '@peculiar/x509';

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const HOUR_MS = 3_600_000;

function pem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${body.trimEnd()}\n-----END ${label}-----\n`;
}

export interface Certificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** The certificate, DER-encoded: what the TLS layer hands over and what `x5t#S256` hashes. */
  readonly der: Uint8Array;
}

export interface TestPki {
  readonly caPem: string;
  /** Server certificate for 127.0.0.1, issued by the CA. */
  readonly server: Certificate;
}

async function keyPemOf(privateKey: webcrypto.CryptoKey): Promise<string> {
  return pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', privateKey));
}

/** A CA and a server certificate for 127.0.0.1, valid for a day. */
export async function createPki(): Promise<TestPki> {
  const { subtle } = webcrypto;
  const notBefore = new Date(Date.now() - HOUR_MS);
  const notAfter = new Date(Date.now() + 24 * HOUR_MS);
  const caKeys = await subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
  const ca = await X509CertificateGenerator.createSelfSigned({
    name: 'CN=Rampart resource-server test CA',
    keys: caKeys,
    notBefore,
    notAfter,
    signingAlgorithm: ECDSA_P256,
    extensions: [new BasicConstraintsExtension(true, 0, true), new KeyUsagesExtension(KeyUsageFlags.keyCertSign, true)],
  });
  const serverKeys = await subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
  const server = await X509CertificateGenerator.create({
    subject: 'CN=127.0.0.1',
    issuer: ca.subject,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    notBefore,
    notAfter,
    signingAlgorithm: ECDSA_P256,
    extensions: [
      new BasicConstraintsExtension(false, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
      new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
      new SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]),
    ],
  });
  return {
    caPem: ca.toString('pem'),
    server: { certPem: server.toString('pem'), keyPem: await keyPemOf(serverKeys.privateKey), der: new Uint8Array(server.rawData) },
  };
}

/** A self-signed TLS client certificate with its key. */
export async function clientCertificate(name: string): Promise<Certificate> {
  const keys = await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
  const certificate = await X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys,
    notBefore: new Date(Date.now() - HOUR_MS),
    notAfter: new Date(Date.now() + 24 * HOUR_MS),
    signingAlgorithm: ECDSA_P256,
    extensions: [new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true), new ExtendedKeyUsageExtension([ExtendedKeyUsage.clientAuth])],
  });
  return { certPem: certificate.toString('pem'), keyPem: await keyPemOf(keys.privateKey), der: new Uint8Array(certificate.rawData) };
}
