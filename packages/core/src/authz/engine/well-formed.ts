import type { CheckContext, Principal, Resource } from '../model.js';

/** Most scopes or fields one check may carry; more is a malformed request, not a longer loop. */
const MAX_LIST = 1000;

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function optionalString(value: unknown, nonEmpty: boolean): boolean {
  return value === undefined || value === null || (typeof value === 'string' && (!nonEmpty || value !== ''));
}

/**
 * Shape checks of the principal, action and context, for callers without types (JavaScript, parsed JSON): a
 * malformed request is denied with `invalid_request` instead of being half-understood (an empty id would equal an
 * empty owner; roles given as the string `"admin"` would iterate as letters). Shared by `check` and the planner, so
 * both refuse exactly the same requests.
 */
export function isWellFormedRequest(principal: Principal, action: unknown, context: CheckContext | undefined): boolean {
  if (!isObject(principal) || typeof principal.id !== 'string' || principal.id === '' || !optionalString(principal.tenant, true)) return false;
  const { roles, globalRoles, tenantRoles } = principal;
  if ((roles !== undefined && !Array.isArray(roles)) || (globalRoles !== undefined && !Array.isArray(globalRoles))) return false;
  if (tenantRoles !== undefined && !isObject(tenantRoles)) return false;
  if (typeof action !== 'string') return false;
  if (principal.attributes !== undefined && !isObject(principal.attributes)) return false;
  if (context === undefined) return true;
  if (!isObject(context)) return false;
  const { time, aal, mfa, clientIp, scopes, fields } = context;
  if (time !== undefined && !(time instanceof Date && !Number.isNaN(time.getTime()))) return false;
  if (aal !== undefined && !(Number.isInteger(aal) && aal >= 0 && aal <= 3)) return false;
  if (mfa !== undefined && typeof mfa !== 'boolean') return false;
  if (clientIp !== undefined && typeof clientIp !== 'string') return false;
  if (scopes !== undefined && !(Array.isArray(scopes) && scopes.length <= MAX_LIST)) return false;
  return fields === undefined || (Array.isArray(fields) && fields.length <= MAX_LIST);
}

/** The resource's shape checks of `check` (the planner has no resource: the row's checks become its tenant cases). */
export function isWellFormedResource(resource: Resource): boolean {
  if (!isObject(resource) || typeof resource.kind !== 'string') return false;
  if (!optionalString(resource.tenant, true) || !optionalString(resource.owner, false) || !optionalString(resource.id, false)) return false;
  return resource.attributes === undefined || isObject(resource.attributes);
}
