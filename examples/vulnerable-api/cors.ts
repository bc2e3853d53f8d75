/**
 * CORS for the shop's single-page front end. DELIBERATELY INSECURE (CWE-942): whatever `Origin` a request carries is
 * allowed, with credentials, so any site can read a logged-in user's API responses.
 */
import type { RequestHandler } from 'express';

export const allowAnyOrigin: RequestHandler = (req, res, next) => {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Vary', 'Origin');
  }
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE');
    res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? '');
    res.status(204).end();
    return;
  }
  next();
};
