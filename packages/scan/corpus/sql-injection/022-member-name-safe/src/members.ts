import express from 'express';
import { Client } from 'pg';

const client = new Client();
await client.connect();
export const app = express();

app.get('/members', async (req, res) => {
  const name = String(req.query.name);
  const quoted = client.escapeLiteral(name);
  const members = await client.query('SELECT id, name FROM members WHERE name = ' + quoted);
  res.json(members.rows);
});
