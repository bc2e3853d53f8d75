/**
 * The shop's SQLite database (better-sqlite3, in memory). Every query is a `sql` tagged template from
 * `@rampart/core/safe/sql`: request values are bound parameters, never SQL text.
 */
import Database from 'better-sqlite3';
import { sql, sqliteAll, sqliteGet, sqliteRun } from '@rampart/core/safe/sql';

export type Db = Database.Database;

export interface UserRow {
  readonly id: number;
  readonly username: string;
  readonly email: string;
  readonly display_name: string;
  readonly role: string;
  readonly password_hash: string;
}

export interface ProductRow {
  readonly id: number;
  readonly name: string;
  readonly price: number;
}

/** Opens the database and creates the tables. */
export function openDatabase(): Db {
  const db = new Database(':memory:');
  db.exec(`
    CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL, email TEXT NOT NULL,
      display_name TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL);
    CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL);
    CREATE TABLE reviews (id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL, author TEXT NOT NULL, text TEXT NOT NULL);
    CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, item TEXT NOT NULL, total REAL NOT NULL);
  `);
  return db;
}

/** The public profile of the user named `username` (exact match), for the user search. */
export function findUsersByName(db: Db, username: string): unknown[] {
  return sqliteAll(db, sql`SELECT id, username, display_name FROM users WHERE username = ${username}`);
}

export function findUserByUsername(db: Db, username: string): UserRow | undefined {
  return sqliteGet(db, sql`SELECT * FROM users WHERE username = ${username}`) as UserRow | undefined;
}

export function findUserById(db: Db, id: number): UserRow | undefined {
  return sqliteGet(db, sql`SELECT * FROM users WHERE id = ${id}`) as UserRow | undefined;
}

export function insertUser(db: Db, user: Omit<UserRow, 'id'>): number {
  const result = sqliteRun(
    db,
    sql`INSERT INTO users (username, email, display_name, role, password_hash)
        VALUES (${user.username}, ${user.email}, ${user.display_name}, ${user.role}, ${user.password_hash})`,
  );
  return Number(result.lastInsertRowid);
}

/** Updates the fields a user may change about themselves: never the role or the password hash. */
export function updateProfile(db: Db, id: number, profile: { readonly email: string; readonly displayName: string }): void {
  sqliteRun(db, sql`UPDATE users SET email = ${profile.email}, display_name = ${profile.displayName} WHERE id = ${id}`);
}

export function updatePasswordHash(db: Db, id: number, passwordHash: string): void {
  sqliteRun(db, sql`UPDATE users SET password_hash = ${passwordHash} WHERE id = ${id}`);
}

export function insertProduct(db: Db, name: string, price: number): number {
  return Number(sqliteRun(db, sql`INSERT INTO products (name, price) VALUES (${name}, ${price})`).lastInsertRowid);
}

export function findProduct(db: Db, id: number): ProductRow | undefined {
  return sqliteGet(db, sql`SELECT id, name, price FROM products WHERE id = ${id}`) as ProductRow | undefined;
}

export function searchProducts(db: Db, term: string): ProductRow[] {
  return sqliteAll(db, sql`SELECT id, name, price FROM products WHERE name ${sql.like(term)}`) as unknown as ProductRow[];
}

export function reviewsOf(db: Db, productId: number): { readonly author: string; readonly text: string }[] {
  return sqliteAll(db, sql`SELECT author, text FROM reviews WHERE product_id = ${productId}`) as unknown as {
    author: string;
    text: string;
  }[];
}

export function insertReview(db: Db, productId: number, author: string, text: string): void {
  sqliteRun(db, sql`INSERT INTO reviews (product_id, author, text) VALUES (${productId}, ${author}, ${text})`);
}

export function insertOrder(db: Db, userId: number, item: string, total: number): void {
  sqliteRun(db, sql`INSERT INTO orders (user_id, item, total) VALUES (${userId}, ${item}, ${total})`);
}

export function ordersOf(db: Db, userId: number): unknown[] {
  return sqliteAll(db, sql`SELECT id, item, total FROM orders WHERE user_id = ${userId}`);
}

export function allOrders(db: Db): unknown[] {
  return sqliteAll(db, sql`SELECT id, user_id, item, total FROM orders`);
}

export function counts(db: Db): { readonly users: number; readonly orders: number } {
  const users = sqliteGet(db, sql`SELECT COUNT(*) AS count FROM users`) as { count: number };
  const orders = sqliteGet(db, sql`SELECT COUNT(*) AS count FROM orders`) as { count: number };
  return { users: users.count, orders: orders.count };
}
