/**
 * The catalogue, built with Rampart: every value written into HTML goes through `encodeHtml`, the XML import goes
 * through `createXmlParser` (DOCTYPE and entities refused before parsing), and quotes use the shop's own discount
 * rules instead of evaluating anything a client sends.
 */
import { Router } from 'express';
import { rampartJson } from '@rampart/express';
import { BODY_LIMIT, bodyProblem, readBody } from '@rampart/core/http';
import { encodeHtml } from '@rampart/core/safe/encode';
import { createXmlParser, XmlError } from '@rampart/core/safe/xml';
import type { ShopContext } from '../context.js';
import { findProduct, insertProduct, insertReview, reviewsOf, searchProducts } from '../lib/db.js';
import { BAD_REQUEST, NOT_FOUND, refuse, validated } from '../lib/problems.js';
import { ImportedProduct, ProductSearch, Quote, Review } from '../lib/schemas.js';

const DISCOUNTS = { none: 1, member: 0.9, bulk: 0.8 } as const;
const MAX_XML_BYTES = 64 * 1024;

function productId(raw: string | string[] | undefined): number {
  const id = Number(raw);
  return Number.isSafeInteger(id) && id > 0 ? id : refuse(NOT_FOUND);
}

export function productRoutes(ctx: ShopContext): Router {
  const router = Router();
  const json = rampartJson({ maxBytes: 16 * 1024 });
  const xml = createXmlParser({ maxBytes: MAX_XML_BYTES, maxDepth: 8, maxNodes: 100 });

  router.get('/products/search', (req, res) => {
    const { q } = validated(ProductSearch, req.query);
    const items = searchProducts(ctx.db, q)
      .map((row) => `<li><a href="/products/${String(row.id)}">${encodeHtml(row.name)}</a></li>`)
      .join('');
    res.type('html').send(`<h1>Results for ${encodeHtml(q)}</h1><ul>${items}</ul>`);
  });

  router.get('/products/:id', (req, res) => {
    const product = findProduct(ctx.db, productId(req.params.id)) ?? refuse(NOT_FOUND);
    const list = reviewsOf(ctx.db, product.id)
      .map((review) => `<li><b>${encodeHtml(review.author)}</b>: ${encodeHtml(review.text)}</li>`)
      .join('');
    res.type('html').send(`<h1>${encodeHtml(product.name)}</h1><p>${String(product.price)} EUR</p><ul class="reviews">${list}</ul>`);
  });

  router.post('/products/:id/reviews', json, (req, res) => {
    const product = findProduct(ctx.db, productId(req.params.id)) ?? refuse(NOT_FOUND);
    const review = validated(Review, req.body);
    insertReview(ctx.db, product.id, review.author, review.text);
    res.status(201).json({ ok: true });
  });

  router.post('/products/import', async (req, res) => {
    const body = await readBody(req, res.locals.rampart?.get(BODY_LIMIT) ?? MAX_XML_BYTES);
    if (!body.ok) refuse(bodyProblem(body.reason));
    let document: unknown;
    try {
      document = xml.parse(body.value);
    } catch (error) {
      if (error instanceof XmlError) refuse({ ...BAD_REQUEST, code: 'xml.refused', detail: 'The XML document is not accepted.' });
      throw error;
    }
    const { product } = validated(ImportedProduct, document);
    const price = Number(product.price);
    const id = insertProduct(ctx.db, product.name, price);
    res.status(201).json({ id, name: product.name, price });
  });

  router.post('/products/quote', json, (req, res) => {
    const quote = validated(Quote, req.body);
    const product = findProduct(ctx.db, quote.productId) ?? refuse(NOT_FOUND);
    const total = Math.round(product.price * quote.quantity * DISCOUNTS[quote.discount ?? 'none'] * 100) / 100;
    res.json({ total });
  });

  return router;
}
