// @rampart/fastify: Rampart's guard chain as a Fastify 5 plugin. See README.md.
export { rampart, type RampartChainOptions, type RampartFastifyOptions, type RampartPluginOptions } from './plugin.js';
export type { BodyOptions } from './body.js';
export { parseForm, type FormFields, type FormRefusal } from './form.js';
export { ProblemError, problemForError, sendProblem } from './problem.js';
export { RampartState } from './state.js';
