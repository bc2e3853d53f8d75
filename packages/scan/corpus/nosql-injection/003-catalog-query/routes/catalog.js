const express = require('express');
const Product = require('../models/product');

const router = express.Router();

router.get('/catalog', async (req, res) => {
  const products = await Product.find(req.query).limit(50).lean();
  res.json(products);
});

module.exports = router;
