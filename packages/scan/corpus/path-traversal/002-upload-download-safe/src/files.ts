import path from 'node:path';
import express from 'express';

const UPLOADS = path.resolve('storage/uploads');
export const files = express.Router();

files.get('/files/:name', (req, res) => {
  res.sendFile(path.basename(req.params.name), { root: UPLOADS, dotfiles: 'deny' });
});
