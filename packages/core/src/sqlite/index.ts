/**
 * SQLite helpers shared by Rampart's embedded stores: durable group commit for better-sqlite3 in WAL mode, so an
 * acknowledged write survives power loss without an fsync on the event loop. See README.md beside this file.
 */
export { walGroupCommit, type WalGroupCommit } from './wal-group-commit.js';
