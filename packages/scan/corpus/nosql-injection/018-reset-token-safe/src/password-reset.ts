import express from 'express';
import sanitize from 'mongo-sanitize';
import { ResetToken } from './models';

export const reset = express.Router();

reset.post('/password/reset', async (req, res) => {
  const clean = sanitize(req.body);
  const token = await ResetToken.findOne({ token: clean.token, usedAt: null });
  if (!token) return res.status(400).json({ error: 'invalid or expired token' });
  res.json({ ok: true });
});
