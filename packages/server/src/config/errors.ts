import { RampartError } from '@rampart/core';

/** Why the configuration was refused. Stable, part of the public API. */
export type ServerConfigErrorCode =
  | 'CONFIG_FILE_UNREADABLE'
  | 'CONFIG_FILE_INVALID'
  | 'CONFIG_INVALID'
  | 'CONFIG_UNKNOWN_ENV'
  | 'CONFIG_SECRET_IN_FILE'
  | 'CONFIG_KEK_INVALID'
  | 'CONFIG_TLS_INVALID'
  | 'CONFIG_UNSAFE_FOR_PRODUCTION';

/** Thrown by `loadConfig`: the server does not start on a configuration it cannot trust. Messages never hold secrets. */
export class ServerConfigError extends RampartError<ServerConfigErrorCode> {}
