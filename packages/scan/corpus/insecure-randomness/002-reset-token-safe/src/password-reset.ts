import express from 'express';
import { randomBytes } from 'node:crypto';
import { resetTokens, sendResetMail } from './mail';

export const passwordReset = express.Router();

passwordReset.post('/password/forgot', async (req, res) => {
  const token = randomBytes(32).toString('base64url');
  await resetTokens.save(String(req.body.email), token);
  await sendResetMail(String(req.body.email), token);
  res.status(202).end();
});
