/** The module answers like every server module: see ../http/replies.ts. */
export { clientIp, correlationId, sendJson, sendProblem, validated } from '../http/replies.js';
