import express from 'express';
import { encodeHtml } from '@rampart/core/safe/encode';

export const greeting = express.Router();

greeting.get('/welcome', (req, res) => {
  const name = String(req.query.name ?? 'guest');
  res.send(`<!doctype html><h1>Welcome back, ${encodeHtml(name)}</h1>`);
});
