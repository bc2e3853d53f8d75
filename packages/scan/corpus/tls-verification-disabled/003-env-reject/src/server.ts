import express from 'express';

process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

export const app = express();
app.get('/health', (_req, res) => res.json({ ok: true }));
