import { createServer } from 'node:http';

function parseBrackets(search) {
  const out = {};
  for (const [name, v] of new URLSearchParams(search)) {
    const m = /^(\w+)\[(\w+)\]$/.exec(name);
    if (!m) { out[name] = v; continue; }
    const [, k1, k2] = m;
    out[k1] ??= {};
    out[k1][k2] = v;
  }
  return out;
}

createServer((req, res) => {
  const query = parseBrackets(new URL(req.url, 'http://q').search);
  res.end(JSON.stringify(query));
}).listen(8060);
