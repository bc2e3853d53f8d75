export { BODY_LIMIT, DEFAULT_MAX_BODY_BYTES, bodyLimits, type BodyLimitsOptions, type BodyRoute } from './limits.js';
export { jsonProblem, parseJson, type JsonRefusal, type ParseJsonOptions } from './json.js';
export { mediaTypeAllowlist } from './media-type.js';
export { bodyProblem, type BodyRefusal } from './problems.js';
export { readBody, type ReadBodyRefusal } from './read.js';
