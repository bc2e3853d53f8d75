export { createServer, type CreateServerOptions, type RampartServer, type ServerNotice } from './app.js';
export { loadConfig, type LoadConfigOptions, type ServerConfig } from './config/config.js';
export { ServerConfigError, type ServerConfigErrorCode } from './config/errors.js';
export { DEV_KEK_FILE, developmentKek, ensureDataDir, type DevelopmentKek } from './data-dir.js';
export { openDatabase, SQLITE_FILE, type ServerDatabase } from './db/database.js';
export { KNOWN_MIGRATIONS, MigrationError, migrateToLatest } from './db/migrations.js';
export * from './accounts/index.js';
export * from './stores/index.js';
