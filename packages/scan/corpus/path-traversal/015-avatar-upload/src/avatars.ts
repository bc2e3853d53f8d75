import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import express from 'express';

const AVATARS = '/srv/static/avatars';
const EXTENSIONS = new Set(['.png', '.jpg', '.webp']);
export const avatars = express.Router();

avatars.put('/me/avatar', express.raw({ type: 'image/*', limit: '2mb' }), async (req, res) => {
  const ext = path.extname(String(req.query.filename)).toLowerCase();
  if (!EXTENSIONS.has(ext)) return res.status(415).end();
  const stored = String(req.query.filename);
  await writeFile(path.join(AVATARS, stored), req.body);
  res.status(201).json({ url: `/avatars/${stored}` });
});
