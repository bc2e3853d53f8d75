/**
 * A throwaway certificate authority and a server certificate (by default for `localhost`, `127.0.0.1` and `::1`), made
 * in memory each run, so the example can be served over real, verified TLS without shipping a private key or calling
 * out to a tool. Only for local runs and tests: trust the CA through `NODE_EXTRA_CA_CERTS` (Node) or `--cacert` (curl).
 */
import { webcrypto } from 'node:crypto';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from '@peculiar/x509';

export interface TestCertificates {
  /** The CA certificate (PEM): what a client must trust. */
  readonly caPem: string;
  /** The server certificate (PEM), issued by the CA. */
  readonly certPem: string;
  /** The server's private key (PKCS #8 PEM). */
  readonly keyPem: string;
}

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const HOUR_MS = 3_600_000;

function pem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${body.trimEnd()}\n-----END ${label}-----\n`;
}

/** The names a server certificate is issued for: host names and IP addresses (subject alternative names). */
export interface CertificateNames {
  readonly dns: readonly string[];
  readonly ip: readonly string[];
}

const LOOPBACK: CertificateNames = { dns: ['localhost'], ip: ['127.0.0.1', '::1'] };

/** Makes a CA valid for a day and a server certificate it signed for `names` (default: the loopback names). */
export async function createTestCertificates(names: CertificateNames = LOOPBACK): Promise<TestCertificates> {
  const { subtle } = webcrypto;
  const notBefore = new Date(Date.now() - HOUR_MS);
  const notAfter = new Date(Date.now() + 24 * HOUR_MS);

  const caKeys = await subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
  const ca = await X509CertificateGenerator.createSelfSigned(
    {
      name: 'CN=Rampart example test CA',
      keys: caKeys,
      notBefore,
      notAfter,
      signingAlgorithm: ECDSA_P256,
      extensions: [
        new BasicConstraintsExtension(true, 0, true),
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        await SubjectKeyIdentifierExtension.create(caKeys.publicKey),
      ],
    },
  );

  const serverKeys = await subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
  const server = await X509CertificateGenerator.create(
    {
      subject: `CN=${names.dns[0] ?? names.ip[0] ?? 'server'}`,
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
        new SubjectAlternativeNameExtension([
          ...names.dns.map((value) => ({ type: 'dns' as const, value })),
          ...names.ip.map((value) => ({ type: 'ip' as const, value })),
        ]),
        await SubjectKeyIdentifierExtension.create(serverKeys.publicKey),
        await AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
      ],
    },
  );

  return {
    caPem: ca.toString('pem'),
    certPem: server.toString('pem'),
    keyPem: pem('PRIVATE KEY', await subtle.exportKey('pkcs8', serverKeys.privateKey)),
  };
}
