import express from 'express';
import libxmljs from 'libxmljs';

export const invoiceImport = express.Router();

invoiceImport.post('/invoices/import', express.text({ type: 'application/xml', limit: '1mb' }), (req, res) => {
  const doc = libxmljs.parseXml(req.body, { noent: false, nonet: true, noblanks: true });
  const total = doc.get('//Invoice/Total')?.text();
  res.json({ total });
});
