/**
 * A self-signed certificate for 127.0.0.1, made in memory per test run (`@peculiar/x509` over WebCrypto), and an HTTPS
 * server that uses it: the "partner" whose certificate no client should accept.
 */
import { webcrypto } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { SubjectAlternativeNameExtension, X509CertificateGenerator } from '@peculiar/x509';

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function pem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${body.trimEnd()}\n-----END ${label}-----\n`;
}

/** Makes a self-signed certificate for 127.0.0.1, valid for an hour either side of now. */
export async function selfSignedCertificate(): Promise<{ cert: string; key: string }> {
  const keys = await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
  const certificate = await X509CertificateGenerator.createSelfSigned({
    name: 'CN=127.0.0.1',
    keys,
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 3_600_000),
    signingAlgorithm: ECDSA_P256,
    extensions: [new SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }])],
  });
  return { cert: certificate.toString('pem'), key: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

/** An HTTPS server on 127.0.0.1 with a self-signed certificate, answering every request with `body`. */
export async function startSelfSignedServer(body: string): Promise<{ url: string; cert: string; requests: () => number; close: () => Promise<void> }> {
  let count = 0;
  const credentials = await selfSignedCertificate();
  const server: Server = createServer(credentials, (_req, res) => {
    count += 1;
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${String(port)}/stock`,
    cert: credentials.cert,
    requests: () => count,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
