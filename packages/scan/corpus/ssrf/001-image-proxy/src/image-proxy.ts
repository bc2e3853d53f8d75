import express from 'express';

const IMAGE_HOSTS = new Set(['images.examplecdn.net', 'media.partner-cdn.com']);
export const imageProxy = express.Router();

imageProxy.get('/img', async (req, res) => {
  const url = new URL(String(req.query.url));
  const upstream = await fetch(url, { redirect: 'error' });
  res.type(upstream.headers.get('content-type') ?? 'application/octet-stream');
  res.send(Buffer.from(await upstream.arrayBuffer()));
});
