/**
 * The example's workload PKI, made fresh for each run with `@peculiar/x509` over Node's WebCrypto: one test CA, a
 * server certificate for `localhost`, `127.0.0.1` and `::1` (the Rampart server and the orders service both listen
 * there), and a client certificate per workload — `billing` (tenant acme) and `analytics` (tenant globex). Keys are
 * ECDSA P-256, written as PKCS #8 PEM with mode 0600 in a directory only this user can read; nothing is kept in the
 * repository. Only for local runs and tests.
 *
 * `npx tsx examples/services/make-certs.ts [dir]` writes them and prints where.
 */
import { webcrypto } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const HOUR_MS = 3_600_000;

/** A certificate and its key as PEM text, and where they were written. */
export interface Identity {
  readonly cert: string;
  readonly key: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** The subject distinguished name (RFC 4514), what `tls_client_auth` registers. */
  readonly subject: string;
}

/** Everything a run of the example needs. */
export interface ServiceCertificates {
  readonly dir: string;
  /** The test CA (PEM): what every service trusts, for servers and for clients. */
  readonly ca: string;
  readonly caFile: string;
  /** For the Rampart server and the orders service (both on 127.0.0.1). */
  readonly server: Identity;
  readonly billing: Identity;
  readonly analytics: Identity;
}

/** The subject names of the workloads' client certificates. */
export const WORKLOAD_SUBJECTS = {
  billing: 'CN=billing, OU=workloads, O=Example',
  analytics: 'CN=analytics, OU=workloads, O=Example',
} as const;

function pem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${body.trimEnd()}\n-----END ${label}-----\n`;
}

let serial = 0x1000;
/** A positive serial number, unique within this run (hex, as X.509 encodes it). */
function nextSerial(): string {
  serial += 1;
  return serial.toString(16).padStart(6, '0');
}

async function issue(
  ca: { certificate: x509.X509Certificate; keys: webcrypto.CryptoKeyPair },
  subject: string,
  usage: 'server' | 'client',
  validity: { notBefore: Date; notAfter: Date },
): Promise<{ cert: string; key: string }> {
  const keys = await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
  const names: x509.JsonGeneralName[] =
    usage === 'server'
      ? [
          { type: 'dns', value: 'localhost' },
          { type: 'ip', value: '127.0.0.1' },
          { type: 'ip', value: '::1' },
        ]
      : [];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject,
    issuer: ca.certificate.subject,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ECDSA_P256,
    ...validity,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
      ...(names.length === 0 ? [] : [new x509.SubjectAlternativeNameExtension(names)]),
    ],
  });
  return { cert: certificate.toString('pem'), key: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

/**
 * Makes the CA and the three certificates (valid from an hour ago for a day) and writes them to `dir` (default: a new
 * temporary directory): `ca.pem`, and `<name>.pem` / `<name>-key.pem` for `server`, `billing`, `analytics`.
 */
export async function makeCertificates(dir: string = mkdtempSync(join(tmpdir(), 'rampart-services-'))): Promise<ServiceCertificates> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const validity = { notBefore: new Date(Date.now() - HOUR_MS), notAfter: new Date(Date.now() + 24 * HOUR_MS) };
  const caKeys = await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
  const caCertificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: 'CN=Example workload CA, O=Example',
    keys: caKeys,
    signingAlgorithm: ECDSA_P256,
    ...validity,
    extensions: [
      // pathLength 0: it issues end-entity certificates only, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const ca = { certificate: caCertificate, keys: caKeys };
  const caPem = caCertificate.toString('pem');
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, caPem);

  const write = async (name: string, subject: string, usage: 'server' | 'client'): Promise<Identity> => {
    const { cert, key } = await issue(ca, subject, usage, validity);
    const certFile = join(dir, `${name}.pem`);
    const keyFile = join(dir, `${name}-key.pem`);
    writeFileSync(certFile, cert);
    writeFileSync(keyFile, key, { mode: 0o600 });
    return { cert, key, certFile, keyFile, subject };
  };
  return {
    dir,
    ca: caPem,
    caFile,
    server: await write('server', 'CN=localhost, O=Example', 'server'),
    billing: await write('billing', WORKLOAD_SUBJECTS.billing, 'client'),
    analytics: await write('analytics', WORKLOAD_SUBJECTS.analytics, 'client'),
  };
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const made = await makeCertificates(process.argv[2] === undefined ? undefined : resolve(process.argv[2]));
  process.stdout.write(`certificates in ${made.dir}: ca.pem, server.pem, billing.pem, analytics.pem (keys *-key.pem, mode 0600)\n`);
}
