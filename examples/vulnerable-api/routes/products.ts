/**
 * The catalogue: search page, product page with reviews, XML import and price quotes. DELIBERATELY INSECURE: search
 * terms and reviews are written into HTML as they are (reflected and stored XSS), the XML import expands DOCTYPE
 * entities, and the quote endpoint evaluates a pricing formula sent by the client.
 */
import express, { Router } from 'express';
import { XMLParser } from 'fast-xml-parser';
import type { ShopContext } from '../context.js';

interface ProductRow {
  id: number;
  name: string;
  price: number;
}

export function productRoutes(ctx: ShopContext): Router {
  const router = Router();

  router.get('/products/search', (req, res) => {
    const q = String(req.query.q ?? '');
    const rows = ctx.db.prepare('SELECT id, name, price FROM products WHERE name LIKE ?').all(`%${q}%`) as ProductRow[];
    const items = rows.map((row) => `<li><a href="/products/${row.id}">${row.name}</a></li>`).join('');
    res.type('html').send(`<h1>Results for ${q}</h1><ul>${items}</ul>`);
  });

  router.get('/products/:id', (req, res) => {
    const product = ctx.db.prepare('SELECT id, name, price FROM products WHERE id = ?').get(Number(req.params.id)) as
      | ProductRow
      | undefined;
    if (product === undefined) {
      res.status(404).type('html').send('<h1>Not found</h1>');
      return;
    }
    const reviews = ctx.db.prepare('SELECT author, text FROM reviews WHERE product_id = ?').all(product.id) as {
      author: string;
      text: string;
    }[];
    const list = reviews.map((review) => `<li><b>${review.author}</b>: ${review.text}</li>`).join('');
    res.type('html').send(`<h1>${product.name}</h1><p>${product.price} EUR</p><ul class="reviews">${list}</ul>`);
  });

  router.post('/products/:id/reviews', (req, res) => {
    const { author, text } = req.body as { author: string; text: string };
    ctx.db.prepare('INSERT INTO reviews (product_id, author, text) VALUES (?, ?, ?)').run(Number(req.params.id), String(author), String(text));
    res.status(201).json({ ok: true });
  });

  // Suppliers upload their catalogue as XML: <product><name>…</name><price>…</price></product>.
  router.post('/products/import', express.text({ type: ['application/xml', 'text/xml'], limit: '1mb' }), (req, res) => {
    const parser = new XMLParser({ processEntities: true, htmlEntities: true });
    const document = parser.parse(String(req.body)) as { product?: { name?: unknown; price?: unknown } };
    const name = String(document.product?.name ?? '');
    const price = Number(document.product?.price ?? 0);
    const result = ctx.db.prepare('INSERT INTO products (name, price) VALUES (?, ?)').run(name, price);
    res.status(201).json({ id: Number(result.lastInsertRowid), name, price });
  });

  // Partners send their own discount rule, e.g. {"productId": 1, "quantity": 3, "formula": "price * quantity * 0.9"}.
  router.post('/products/quote', (req, res) => {
    const { productId, quantity, formula } = req.body as { productId: number; quantity: number; formula: string };
    const product = ctx.db.prepare('SELECT price FROM products WHERE id = ?').get(Number(productId)) as ProductRow | undefined;
    const price = product?.price ?? 0;
    const total: unknown = new Function('price', 'quantity', `return (${formula});`)(price, Number(quantity));
    res.json({ total });
  });

  return router;
}
