import { exec, execFile } from 'node:child_process';
import express from 'express';

export const thumbnails = express.Router();

thumbnails.post('/thumbnails', (req, res) => {
  const file = String(req.query.file);
  exec('convert /srv/uploads/' + file + ' -resize 200x200 /srv/thumbs/' + file, (err) => {
    if (err) return res.status(500).json({ error: 'conversion failed' });
    res.status(201).json({ ok: true });
  });
});
