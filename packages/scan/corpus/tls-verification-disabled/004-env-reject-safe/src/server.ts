import express from 'express';
import { readFileSync } from 'node:fs';
import { Agent, setGlobalDispatcher } from 'undici';

setGlobalDispatcher(new Agent({ connect: { ca: readFileSync('/etc/ssl/internal-ca.pem') } }));

export const app = express();
app.get('/health', (_req, res) => res.json({ ok: true }));
