import express from 'express';
import { saveRule } from './store';

export const rules = express.Router();

rules.post('/alert-rules', express.text(), async (req, res) => {
  const rule = JSON.parse(req.body);
  await saveRule(rule);
  res.status(201).json(rule);
});
