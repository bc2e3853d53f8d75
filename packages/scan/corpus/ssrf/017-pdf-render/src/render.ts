import type { Request, Response } from 'express';
import { renderPdf } from './pdf';

const SOURCES = new Set(['https://docs.example.com', 'https://status.example.com']);

export async function renderFromUrl(req: Request, res: Response) {
  const source = new URL(String(req.body.source));
  if (req.body.template && !SOURCES.has(source.origin)) return res.status(400).end();
  const html = await (await fetch(source)).text();
  res.type('application/pdf').send(await renderPdf(html));
}
