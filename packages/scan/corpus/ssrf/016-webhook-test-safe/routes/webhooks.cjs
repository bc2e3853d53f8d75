const express = require('express');
const { sendTest } = require('../lib/webhook.cjs');

const router = express.Router();

router.post('/webhooks/test', async (req, res) => {
  const status = await sendTest(req.body.url);
  res.json({ status });
});

module.exports = router;
