import { readFile } from 'node:fs';
import { createServer } from 'node:http';
import { normalize, resolve, sep } from 'node:path';

const PUBLIC = resolve('public');

createServer((req, res) => {
  const { pathname } = new URL(req.url, 'http://static');
  const file = resolve(PUBLIC, '.' + normalize(decodeURIComponent(pathname)));
  if (!file.startsWith(PUBLIC + sep)) { res.writeHead(403).end(); return; }
  readFile(file, (err, data) => {
    if (err) { res.writeHead(404).end(); return; }
    res.end(data);
  });
}).listen(8000);
