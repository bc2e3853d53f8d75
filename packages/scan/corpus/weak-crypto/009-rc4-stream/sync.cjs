const http = require('node:http');
const crypto = require('node:crypto');

const KEY = Buffer.from(process.env.SYNC_KEY || '', 'hex');

http.createServer((req, res) => {
  const payload = JSON.stringify({ at: Date.now(), items: [] });
  const cipher = crypto.createCipheriv('rc4', KEY, '');
  res.end(Buffer.concat([cipher.update(payload), cipher.final()]));
}).listen(8030);
