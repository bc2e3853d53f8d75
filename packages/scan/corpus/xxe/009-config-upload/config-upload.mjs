import { createServer } from 'node:http';
import { text } from 'node:stream/consumers';
import libxmljs from 'libxmljs';

createServer(async (req, res) => {
  const xml = await text(req);
  const doc = libxmljs.parseXml(xml, { noent: true });
  res.end(JSON.stringify({ root: doc.root()?.name() }));
}).listen(8085);
