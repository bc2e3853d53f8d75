// Injection-safe I/O: one safe API per interpreter that untrusted input reaches. Each module is also its own entry
// point (`@rampart/core/safe/sql`, `/nosql`, `/ldap`, `/exec`, `/xml`, `/path`, `/fetch`, `/redirect`, `/encode`,
// `/log`); this one re-exports them all.
export * from './sql/index.js';
export * from './nosql/index.js';
export * from './ldap/index.js';
export * from './exec/index.js';
export * from './xml/index.js';
export * from './path/index.js';
export * from './fetch/index.js';
export * from './redirect/index.js';
export * from './encode/index.js';
export * from './log/index.js';
