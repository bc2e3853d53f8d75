/** Tables of the token module (`0005_tokens`). Times are epoch milliseconds (`Int64`) like the core stores'. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TokenTables {}
