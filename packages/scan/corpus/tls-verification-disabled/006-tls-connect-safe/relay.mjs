import tls from 'node:tls';
import { readFileSync } from 'node:fs';

export function connectRelay() {
  return tls.connect({ host: 'relay.internal', port: 6514, servername: 'relay.internal', ca: readFileSync('/etc/ssl/relay-ca.pem') });
}
