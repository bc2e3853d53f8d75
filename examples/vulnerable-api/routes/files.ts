/**
 * Downloads and size reports of customer uploads. DELIBERATELY INSECURE: path traversal in the download and command
 * injection in the size report (both through `lib/storage.ts`).
 */
import { Router } from 'express';
import type { ShopContext } from '../context.js';
import { countBytes, readUpload } from '../lib/storage.js';

export function fileRoutes(ctx: ShopContext): Router {
  const router = Router();

  router.get('/files/download', async (req, res) => {
    const name = String(req.query.name ?? '');
    try {
      res.type('application/octet-stream').send(await readUpload(ctx.uploadsDir, name));
    } catch {
      res.status(404).json({ error: 'not found' });
    }
  });

  router.post('/files/size', async (req, res) => {
    const { name } = req.body as { name: string };
    try {
      res.json({ report: await countBytes(ctx.uploadsDir, String(name)) });
    } catch {
      res.status(404).json({ error: 'not found' });
    }
  });

  return router;
}
