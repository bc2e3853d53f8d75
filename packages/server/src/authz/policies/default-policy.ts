/**
 * The policy stored as version 1 on first start: valid, and granting nothing (every check is denied with
 * `unknown_resource_kind`) — default deny until an administrator publishes the real one.
 */
export const DEFAULT_POLICY_DOCUMENT = `apiVersion: rampart.authz/v1
name: default
version: "1"
# Replace this document with PUT /v1/admin/policies. Until then every decision is a deny.
roles: {}
resources: {}
`;
