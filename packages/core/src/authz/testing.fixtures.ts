import { compilePolicies, type CompilePoliciesOptions } from './policy/compile.js';
import type { CompiledPolicySet } from './policy/types.js';

/**
 * The worked example of the README: a multi-tenant document API. Viewers read, editors edit, owners edit their own
 * documents, admins do everything including the admin-only `purge`; a locked document cannot be changed by anyone;
 * profiles have field-level rules (a user may change their display name, only an admin their role).
 */
export const DOCUMENTS_POLICY = `
apiVersion: rampart.authz/v1
name: documents
version: "2026-01-15.1"
roles:
  viewer:
    permissions: ["document:read", "document:list"]
  editor:
    inherits: [viewer]
    permissions: ["document:create", "document:update"]
  admin:
    inherits: [editor]
    permissions: ["document:*", "profile:*"]
  member:
    permissions: ["profile:read"]
  operator:
    global: true
    permissions: ["document:read"]
derivedRoles:
  owner:
    parentRoles: [viewer]
    condition: resource.owner == principal.id
  self:
    parentRoles: [member, viewer]
    condition: resource.id == principal.id
scopes:
  "documents:read": ["document:read", "document:list"]
  "documents:write": ["document:*"]
  "profile": ["profile:read", "profile:update"]
resources:
  document:
    actions: [read, list, create, update, delete, share, purge]
    rules:
      - name: owner-edits-own
        effect: allow
        roles: [owner]
        actions: [update, delete, share]
      - name: locked-is-read-only
        effect: deny
        roles: ["*"]
        actions: [update, delete, share, purge]
        condition: has(resource.attributes.locked) && resource.attributes.locked == true
      - name: embargo
        effect: deny
        roles: [viewer]
        actions: [read]
        condition: >-
          has(resource.attributes.embargoUntil) &&
          request.time < timestamp(resource.attributes.embargoUntil) && !("admin" in principal.roles)
  profile:
    actions: [read, update]
    fields: [displayName, bio, role, email]
    rules:
      - name: self-edit
        effect: allow
        roles: [self]
        actions: [update]
        fields: [displayName, bio]
      - name: self-read
        effect: allow
        roles: [self]
        actions: [read]
      - name: email-needs-mfa
        effect: deny
        roles: ["*"]
        actions: [update]
        fields: [email]
        condition: "!request.mfa"
`;

export function documentsPolicy(options: CompilePoliciesOptions = {}): CompiledPolicySet {
  return compilePolicies([{ source: 'documents.yaml', text: DOCUMENTS_POLICY }], options);
}

/** A fixed request time for conditions, so tests never depend on the wall clock. */
export const FIXED_TIME = new Date('2026-01-15T12:00:00Z');
