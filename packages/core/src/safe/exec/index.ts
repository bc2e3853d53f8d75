export {
  operand,
  option,
  trusted,
  UntrustedArgument,
  type Argument,
  type CheckedArguments,
  type TrustedString,
  type UntrustedValueOptions,
  type WrapStringInOperandOptionOrTrusted,
} from './arguments.js';
export { type EnvironmentOptions } from './environment.js';
export {
  ArgumentInjectionError,
  ExecAbortedError,
  ExecError,
  ExecTimeoutError,
  InputTooLargeError,
  NonZeroExitError,
  OutputTooLargeError,
  ProgramNotAllowedError,
  SpawnFailedError,
  type ArgumentRefusal,
  type ExecErrorCode,
  type Termination,
} from './errors.js';
export { DEFAULT_SEARCH_PATH, type ProgramTable } from './programs.js';
export {
  createRunner,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_MAX_INPUT_BYTES,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_EXEC_TIMEOUT_MS,
  type OutputEncoding,
  type RunOptions,
  type Runner,
  type RunnerOptions,
  type RunResult,
} from './runner.js';
