/**
 * Downloads and size reports of customer uploads, through `lib/storage.ts` (`serveFile`, `createRunner`). Every refusal
 * is the same 404, so a probe cannot tell "outside the root" from "no such file".
 */
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { rampartJson } from '@rampart/express';
import { Type, compile } from '@rampart/core/validate';
import type { ShopContext } from '../context.js';
import { NOT_FOUND, refuse, validated } from '../lib/problems.js';
import { FileName } from '../lib/schemas.js';

/** The download name is checked by `serveFile` itself; the schema only bounds it. */
const DownloadQuery = compile(Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }) }));

export function fileRoutes(ctx: ShopContext): Router {
  const router = Router();
  const json = rampartJson({ maxBytes: 4 * 1024 });

  router.get('/files/download', async (req, res) => {
    const { name } = validated(DownloadQuery, req.query);
    const served = await ctx.uploads.open(name).catch(() => refuse(NOT_FOUND));
    for (const [header, value] of served.headers) res.setHeader(header, value);
    await pipeline(served.handle.createReadStream(), res);
  });

  router.post('/files/size', json, async (req, res) => {
    const { name } = validated(FileName, req.body);
    const report = await ctx.uploads.countBytes(name).catch(() => refuse(NOT_FOUND));
    res.json({ report });
  });

  return router;
}
