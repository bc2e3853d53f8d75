/** Tables of the login module (`0004_login`). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LoginTables {}
