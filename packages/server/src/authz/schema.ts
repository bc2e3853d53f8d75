/** Tables of the authorization module (`0007_authz`). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AuthzTables {}
