import express from 'express';

export const greeting = express.Router();

greeting.get('/welcome', (req, res) => {
  const name = String(req.query.name ?? 'guest');
  res.send(`<!doctype html><h1>Welcome back, ${name}</h1>`);
});
