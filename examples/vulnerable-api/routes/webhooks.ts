/**
 * Webhooks and the partner stock sync. DELIBERATELY INSECURE: "send a test event" fetches any URL the client names
 * (SSRF, CWE-918), and the partner sync switches off certificate verification (CWE-295).
 */
import https from 'node:https';
import { Router } from 'express';
import type { ShopContext } from '../context.js';

/** GETs `url` over HTTPS and resolves with the body. */
function getText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { rejectUnauthorized: false, timeout: 5_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body });
      });
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}

export function webhookRoutes(ctx: ShopContext): Router {
  const router = Router();

  router.post('/webhooks/test', async (req, res) => {
    const { url } = req.body as { url: string };
    try {
      const response = await fetch(String(url), { method: 'GET', signal: AbortSignal.timeout(5_000) });
      res.json({ delivered: response.ok, status: response.status, response: await response.text() });
    } catch {
      res.status(502).json({ error: 'delivery failed' });
    }
  });

  router.post('/webhooks/partner-sync', async (_req, res) => {
    try {
      const { status, body } = await getText(ctx.config.partnerUrl);
      res.json({ synced: status === 200, stock: body });
    } catch {
      res.status(502).json({ error: 'partner unreachable' });
    }
  });

  return router;
}
