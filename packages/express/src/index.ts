// @rampart/express: Rampart's guard chain for Express 5. See README.md.
export { rampart, type RampartChainOptions, type RampartOptions } from './middleware.js';
export { rampartErrors, type RampartErrorsOptions } from './errors.js';
export { rampartForm, rampartJson, type FormBodyOptions, type JsonBodyOptions } from './body.js';
export { parseForm, type FormFields, type FormRefusal } from './form.js';
export { ProblemError, problemForError, sendProblem } from './problem.js';
export { RampartState } from './state.js';
