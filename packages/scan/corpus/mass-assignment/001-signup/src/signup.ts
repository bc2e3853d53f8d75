import express from 'express';
import { User } from './models/user';

export const signup = express.Router();

signup.post('/signup', express.json(), async (req, res) => {
  const user = await User.create(req.body);
  res.status(201).json({ id: user.id });
});
