import express from 'express';
import createDOMPurify from 'dompurify';
import { JSDOM } from 'jsdom';

const purify = createDOMPurify(new JSDOM('').window);
export const signature = express.Router();

signature.post('/signature/preview', express.urlencoded({ extended: false }), (req, res) => {
  const raw = String(req.body.signature);
  const clean = purify.sanitize(raw);
  res.type('html').send(`<div class="signature">${raw}</div>`);
});
