import type { Request, Response } from 'express';
import { renderToStaticMarkup } from 'react-dom/server';

export function profilePage(req: Request, res: Response) {
  const bio = String(req.query.bio ?? '');
  const markup = renderToStaticMarkup(
    <section className="profile">
      <div className="bio">{bio}</div>
    </section>,
  );
  res.type('html').send(`<!doctype html>${markup}`);
}
