import express from 'express';
import session from 'express-session';

export const app = express();

app.use(
  session({
    secret: process.env.SESSION_SECRET!,
    resave: false,
    saveUninitialized: false,
    cookie: { secure: false, httpOnly: false, maxAge: 3_600_000 },
  }),
);
