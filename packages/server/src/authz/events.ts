/** The module emits like every server module: see ../http/events.ts. */
export { eventEmitter, type EmitEvent, type EventAttributes } from '../http/events.js';
