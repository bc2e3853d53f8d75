import { createCipheriv, randomBytes } from 'node:crypto';
import express from 'express';

const KEY = Buffer.from(process.env.DOWNLOAD_KEY ?? '', 'hex');
export const downloads = express.Router();

downloads.post('/downloads/:fileId/link', (req, res) => {
  const payload = JSON.stringify({ fileId: req.params.fileId, exp: Date.now() + 600_000 });
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', KEY, iv);
  const sealed = Buffer.concat([cipher.update(payload), cipher.final()]);
  const token = Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
  res.json({ url: `/downloads/${token}` });
});
