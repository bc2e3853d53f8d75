import http from 'node:http';
import ldap from 'ldapjs';
import { escapeFilterValue } from './ldap-escape.js';

const client = ldap.createClient({ url: 'ldap://ldap.internal' });

http.createServer((req, res) => {
  let serial = new URL(req.url, 'http://x').searchParams.get('serial');
  serial = escapeFilterValue(serial ?? String(req.headers['x-device-serial'] ?? ''));
  client.search('ou=devices,dc=internal', { filter: `(serialNumber=${serial})`, attributes: ['owner'] }, (err, result) => {
    if (err) { res.writeHead(502).end(); return; }
    result.on('searchEntry', (entry) => res.write(JSON.stringify(entry.pojo)));
    result.on('end', () => res.end());
  });
}).listen(8081);
