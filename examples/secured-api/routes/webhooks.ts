/**
 * Webhooks and the partner stock sync, through `createSafeFetch` (`@rampart/core/safe/fetch`): HTTPS only, public
 * addresses only (every DNS answer checked, the connection pinned to the checked address, redirects re-checked), and
 * certificate verification that cannot be switched off. The partner may be given extra addresses and trust anchors
 * by name in the configuration; never by a request.
 */
import { Router } from 'express';
import { rampartJson } from '@rampart/express';
import { problem } from '@rampart/core/http';
import { createSafeFetch, SsrfError } from '@rampart/core/safe/fetch';
import type { ShopContext } from '../context.js';
import { UPSTREAM_FAILED, refuse, validated } from '../lib/problems.js';
import { WebhookTest } from '../lib/schemas.js';

const URL_REFUSED = problem(400, 'webhook-url', 'Bad Request', {
  code: 'webhook.url_refused',
  detail: 'The webhook URL must be an https URL of a public host.',
});

export function webhookRoutes(ctx: ShopContext): Router {
  const router = Router();
  const json = rampartJson({ maxBytes: 4 * 1024 });
  const outbound = createSafeFetch({ timeoutMs: 5_000, maxResponseBytes: 64 * 1024, maxRedirects: 3 });
  const partnerPort = Number(new URL(ctx.config.partnerUrl).port || 443);
  const partner = createSafeFetch({
    allowPorts: [partnerPort],
    allowAddresses: ctx.config.partnerAllowAddresses,
    ...(ctx.config.partnerCa === undefined ? {} : { ca: ctx.config.partnerCa }),
    timeoutMs: 5_000,
    maxResponseBytes: 64 * 1024,
  });

  router.post('/webhooks/test', json, async (req, res) => {
    const { url } = validated(WebhookTest, req.body);
    try {
      const response = await outbound.fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"event":"test"}' });
      // The receiver's answer is not relayed: a webhook test reports delivery, not what the far side said.
      res.json({ delivered: response.ok, status: response.status });
    } catch (error) {
      if (error instanceof SsrfError && error.code !== 'SSRF_NETWORK_ERROR' && error.code !== 'SSRF_TIMEOUT') refuse(URL_REFUSED);
      refuse(UPSTREAM_FAILED);
    }
  });

  router.post('/webhooks/partner-sync', async (_req, res) => {
    try {
      const response = await partner.fetch(ctx.config.partnerUrl);
      res.json({ synced: response.status === 200, stock: await response.text() });
    } catch {
      refuse(UPSTREAM_FAILED);
    }
  });

  return router;
}
