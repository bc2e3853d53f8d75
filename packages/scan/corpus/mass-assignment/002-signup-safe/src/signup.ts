import express from 'express';
import { User } from './models/user';

export const signup = express.Router();

signup.post('/signup', express.json(), async (req, res) => {
  const { email, name, password } = req.body;
  const user = await User.create({ email: String(email), name: String(name), password: String(password) });
  res.status(201).json({ id: user.id });
});
