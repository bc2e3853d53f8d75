const express = require('express');
const { entriesFor } = require('../services/audit.cjs');

const router = express.Router();

router.get('/audit', async (req, res) => {
  const entries = await entriesFor(req.query.actor);
  res.json(entries);
});

module.exports = router;
