export { canonicalEntry, canonicalJson, eventToJson, parseCanonicalEntry, type AuditEntry, type AuditEventJson, type JsonValue } from './canonical.js';
export {
  CHECKPOINT_KEY_PURPOSE,
  checkpointPublicKeys,
  checkpointSigner,
  checkpointSignerFromKeyRing,
  keyIdOf,
  signTreeHead,
  treeHeadMessage,
  verifyTreeHead,
  type CheckpointSigner,
  type SignedTreeHead,
} from './checkpoint.js';
export { CompactRange } from './compact-range.js';
export { AuditError, type AuditErrorCode } from './errors.js';
export { GENESIS_CHAIN_HASH, chainHash, emptyRootHash, fromHex, leafHash, nodeHash, toHex } from './hash.js';
export { AuditLog, type AppendResult, type AuditLogOptions, type AuditRecord, type ConsistencyProof, type InclusionProof, type PruneResult } from './log.js';
export { consistencyPath, inclusionPath, merkleRoot, verifyConsistency, verifyInclusion } from './merkle.js';
export { SqliteAuditStore } from './sqlite-store.js';
export { PostgresAuditStore, type PgPoolClientLike, type PgPoolLike, type PostgresAuditStoreOptions } from './pg-store.js';
export { AUDIT_PAGE_SIZE, MemoryAuditStore, type AuditPrune, type AuditRow, type AuditStore, type AuditTail } from './store.js';
export { auditEventClass, checkRetentionPolicy, prunedDigest, type AuditEventClass, type RetentionFloor, type RetentionPolicy } from './retention.js';
export { checkConsistency, checkInclusion, verify, type AuditVerification, type TamperProblem, type VerifyOptions } from './verify.js';
export { isAuditSecretKey, MAX_AUDIT_VALUE_LENGTH, redactAuditEvent, type RedactedAuditEvent } from './redact.js';
export {
  OCSF_VERSION,
  RAMPART_CONTROL_CHANGE_CLASS_UID,
  ocsfClassOf,
  toOcsf,
  type OcsfClassUid,
  type OcsfEvent,
  type OcsfSeverityId,
  type OcsfStatusId,
} from './ocsf.js';
export * from './sinks/index.js';
export { createSecurityEventHub, SecurityEventHubError, type HubDetectorsOptions, type HubDetectorStats, type HubLogStats, type HubSinkStats, type SecurityEventHub, type SecurityEventHubErrorCode, type SecurityEventHubOptions, type SecurityEventHubStats } from './hub.js';
export { JsonlAuditStore, type JsonlAuditStoreOptions, type JsonlTornTail } from './jsonl-store.js';
