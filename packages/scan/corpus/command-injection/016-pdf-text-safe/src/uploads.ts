import { exec, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import express from 'express';
import multer from 'multer';

const execAsync = promisify(exec);
const execFileAsync = promisify(execFile);
const upload = multer({ dest: '/srv/incoming' });
export const uploads = express.Router();

uploads.post('/documents', upload.single('document'), async (req, res) => {
  const file = req.file!;
  const { stdout } = await execFileAsync('pdftotext', [file.path, '-']);
  res.json({ chars: stdout.length });
});
