import express from 'express';
import rateLimit from 'express-rate-limit';

export const app = express();
app.set('trust proxy', true);
app.use(rateLimit({ windowMs: 60_000, limit: 100 }));
