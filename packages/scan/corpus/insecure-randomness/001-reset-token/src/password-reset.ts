import express from 'express';
import { resetTokens, sendResetMail } from './mail';

export const passwordReset = express.Router();

passwordReset.post('/password/forgot', async (req, res) => {
  const token = Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  await resetTokens.save(String(req.body.email), token);
  await sendResetMail(String(req.body.email), token);
  res.status(202).end();
});
