export * from './review/types.js';
