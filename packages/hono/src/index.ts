// @rampart/hono: Rampart's guard chain as Hono 4 middleware. See README.md.
export {
  rampart,
  rampartOnError,
  type RampartChainOptions,
  type RampartConnectionOptions,
  type RampartHonoOptions,
  type RampartOnErrorOptions,
} from './middleware.js';
export { rampartForm, rampartJson, type FormBodyOptions, type JsonBodyOptions } from './body.js';
export type { RampartEnv, RampartVariables } from './env.js';
export { parseForm, type FormFields, type FormRefusal } from './form.js';
export { ProblemError, problemForError, problemResponse } from './problem.js';
export { RampartState } from './state.js';
