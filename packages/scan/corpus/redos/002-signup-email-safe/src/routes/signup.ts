import express from 'express';
import { isValidEmail } from '../validation/email';

export const signup = express.Router();

signup.post('/signup', (req, res) => {
  if (!isValidEmail(String(req.body.email))) return res.status(400).json({ error: 'invalid email' });
  res.status(202).end();
});
