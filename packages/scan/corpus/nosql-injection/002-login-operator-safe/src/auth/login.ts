import type { Request, Response } from 'express';
import bcrypt from 'bcrypt';
import { User } from '../models/user';

export async function login(req: Request, res: Response) {
  const user = await User.findOne({ email: String(req.body.email) });
  if (!user || !(await bcrypt.compare(String(req.body.password), user.passwordHash))) {
    return res.status(401).json({ error: 'invalid credentials' });
  }
  req.session.userId = user.id;
  res.json({ id: user.id });
}
