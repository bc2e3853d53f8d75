import express from 'express';
import cookieParser from 'cookie-parser';

export const preferences = express.Router();
preferences.use(cookieParser());

preferences.get('/preferences', (req, res) => {
  const encoded = String(req.cookies.profile ?? '');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const profile = JSON.parse(decoded);
  res.json({ theme: profile.theme ?? 'light' });
});
