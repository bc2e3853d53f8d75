import tls from 'node:tls';

export function connectRelay() {
  return tls.connect({ host: 'relay.internal', port: 6514, rejectUnauthorized: false });
}
