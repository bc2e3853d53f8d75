const express = require('express');
const Product = require('../models/product');

const router = express.Router();

router.get('/catalog', async (req, res) => {
  const filter = {};
  if (req.query.category) filter.category = String(req.query.category);
  if (req.query.brand) filter.brand = String(req.query.brand);
  const products = await Product.find(filter).limit(50).lean();
  res.json(products);
});

module.exports = router;
