/** Tables of the MFA module (`0006_mfa`). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface MfaTables {}
