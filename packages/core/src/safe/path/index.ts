export { safeJoin, MAX_PATH_BYTES, MAX_SEGMENT_BYTES, type SafeJoinOptions } from './join.js';
export { openWithin } from './open.js';
export { serveFile, type ServeFileOptions, type ServedFile } from './serve.js';
export { contentDisposition } from './disposition.js';
export { PathError, type PathErrorCode } from './errors.js';
