export { PolicyReloadError, type PolicyReloadErrorCode } from './errors.js';
export { MAX_POLICY_FILES, readPolicyFolder } from './folder.js';
export {
  createPolicyStore,
  type PolicySetChange,
  type PolicySetIdentity,
  type PolicyStore,
  type PolicyStoreOptions,
  type PolicyStoreSource,
  type PolicyVersioning,
  type ReloadOutcome,
} from './store.js';
