import { Pool } from 'pg';
import { readFileSync } from 'node:fs';

export const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  ssl: { ca: readFileSync('/etc/ssl/rds-global-bundle.pem', 'utf8') },
});
