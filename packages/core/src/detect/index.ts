/**
 * Anomaly detectors over security events: brute force, credential stuffing, password spraying, refresh-token reuse,
 * authorization probing, new device or country, off-hours administration. See README.md for threats and thresholds.
 */
export { createDetectors, defaultDetectors, type CreateDetectorsOptions, type DefaultDetectorsOptions, type Detectors, type DetectorStats } from './create.js';
export type { AlertDetails, AlertDraft, AlertKeyKind, AlertSeverity, Detector, DetectorContext } from './detector.js';
export type { Awaitable, DistinctHits, FirstSeen, FirstSeenStore, WindowCounter, WindowHits } from './store.js';
export { MemoryFirstSeenStore, MemoryWindowCounter, type MemoryFirstSeenStoreOptions, type MemoryWindowCounterOptions } from './memory-store.js';
export { bruteForceDetector, type BruteForceOptions } from './detectors/brute-force.js';
export { credentialStuffingDetector, type CredentialStuffingOptions } from './detectors/credential-stuffing.js';
export { passwordSprayingDetector, type PasswordSprayingOptions } from './detectors/password-spraying.js';
export type { SourceOptions } from './detectors/source-failures.js';
export { refreshReuseDetector, type RefreshReuseOptions } from './detectors/refresh-reuse.js';
export { authzProbingDetector, type AuthzProbingOptions } from './detectors/authz-probing.js';
export { newCountryDetector, newDeviceDetector, type LocateAddress, type NewCountryOptions, type NewDeviceOptions } from './detectors/new-sign-in.js';
export { DEFAULT_ADMIN_EVENT_TYPES, offHoursAdminDetector, type OffHoursAdminOptions } from './detectors/off-hours.js';
export { DetectorStoreError, RedisFirstSeenStore, RedisWindowCounter, type RedisCounterKeys, type RedisFirstSeenStoreOptions, type RedisScriptClient, type RedisWindowCounterOptions } from './redis-store.js';
