export { BackupCodes, DEFAULT_BACKUP_CODE_COUNT, type BackupCodeFailure, type BackupCodesOptions } from './backup-codes.js';
export { MemoryBackupCodeStore, type BackupCodeStore, type StoredBackupCode } from './store.js';
export { BACKUP_CODE_ALPHABET, BACKUP_CODE_LENGTH, formatBackupCode, generateBackupCode, normalizeBackupCode } from './format.js';
