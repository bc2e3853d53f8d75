/**
 * `npx tsx examples/web-app/main.ts`: serves the example on https://127.0.0.1:8443 (PORT to change it), with plain
 * HTTP on the same port redirecting there. The CA is made for this run only; trust it to browse without a warning.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWebApp } from './app.js';
import { createTestCertificates } from './tls.js';

const certificates = await createTestCertificates();
const caFile = join(mkdtempSync(join(tmpdir(), 'rampart-web-app-')), 'ca.pem');
writeFileSync(caFile, certificates.caPem);

const app = createWebApp({ tls: { cert: certificates.certPem, key: certificates.keyPem } });
const { origin } = await app.listen(Number(process.env.PORT ?? 8443), '127.0.0.1');
process.stdout.write(
  [
    `listening on ${origin}/ (plain http on the same port redirects there)`,
    `CA of this run: ${caFile}`,
    `  curl --cacert ${caFile} -i ${origin}/`,
    `  NODE_EXTRA_CA_CERTS=${caFile} node --import tsx packages/core/test/observatory/scan-runner.ts ${origin.slice('https://'.length)}`,
    '',
  ].join('\n'),
);

process.once('SIGINT', () => {
  void app.close();
});
