import express from 'express';
import { deepMerge } from '../utils/merge';
import { loadSettings, saveSettings } from '../settings-store';

export const settings = express.Router();

settings.patch('/settings', express.json(), async (req, res) => {
  const current = await loadSettings(req.user.id);
  await saveSettings(req.user.id, deepMerge(current, req.body));
  res.status(204).end();
});
