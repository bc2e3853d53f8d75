/**
 * The shop's SQLite database (better-sqlite3, in memory), seeded at start. DELIBERATELY INSECURE: `findUsersByName`
 * builds its SQL from the caller's text (CWE-89); the caller passes request input straight in.
 */
import Database from 'better-sqlite3';
import { hashPassword } from './passwords.js';

export type Db = Database.Database;

export interface UserRow {
  id: number;
  username: string;
  email: string;
  display_name: string;
  role: string;
  password_hash: string;
}

/** The seeded accounts. Their passwords are common ones on purpose: the MD5 lookup test finds them. */
export const SEED_USERS = [
  { username: 'admin', email: 'admin@shop.example', displayName: 'Shop Admin', role: 'admin', password: 'sunshine' },
  { username: 'alice', email: 'alice@example.com', displayName: 'Alice', role: 'customer', password: 'princess' },
  { username: 'bob', email: 'bob@example.com', displayName: 'Bob', role: 'customer', password: 'football' },
] as const;

/** Opens and seeds the database. */
export function openDatabase(): Db {
  const db = new Database(':memory:');
  db.exec(`
    CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL, email TEXT NOT NULL,
      display_name TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL);
    CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL);
    CREATE TABLE reviews (id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL, author TEXT NOT NULL, text TEXT NOT NULL);
    CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, item TEXT NOT NULL, total REAL NOT NULL);
  `);
  const insertUser = db.prepare(
    'INSERT INTO users (username, email, display_name, role, password_hash) VALUES (?, ?, ?, ?, ?)',
  );
  for (const user of SEED_USERS) {
    insertUser.run(user.username, user.email, user.displayName, user.role, hashPassword(user.password));
  }
  const insertProduct = db.prepare('INSERT INTO products (name, price) VALUES (?, ?)');
  insertProduct.run('Espresso beans 1 kg', 24.5);
  insertProduct.run('Milk frother', 39);
  const insertOrder = db.prepare('INSERT INTO orders (user_id, item, total) VALUES (?, ?, ?)');
  insertOrder.run(2, 'Espresso beans 1 kg', 24.5);
  insertOrder.run(3, 'Milk frother', 39);
  return db;
}

/** The public profile fields of users whose name is `name`, for the user search. */
export function findUsersByName(db: Db, name: string): unknown[] {
  return db.prepare(`SELECT id, username, display_name FROM users WHERE username = '${name}'`).all();
}

export function findUserByUsername(db: Db, username: string): UserRow | undefined {
  return db.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserRow | undefined;
}

export function findUserById(db: Db, id: number): UserRow | undefined {
  return db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
}

export function saveUser(db: Db, user: UserRow): void {
  db.prepare('UPDATE users SET email = ?, display_name = ?, role = ?, password_hash = ? WHERE id = ?').run(
    user.email,
    user.display_name,
    user.role,
    user.password_hash,
    user.id,
  );
}

export function insertUser(db: Db, user: Omit<UserRow, 'id'>): void {
  db.prepare('INSERT INTO users (username, email, display_name, role, password_hash) VALUES (?, ?, ?, ?, ?)').run(
    user.username,
    user.email,
    user.display_name,
    user.role,
    user.password_hash,
  );
}
