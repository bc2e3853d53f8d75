export { INTERNAL_ERROR, PROBLEM_BASE, PROBLEM_CONTENT_TYPE, problem, problemBody, type Problem, type ProblemBody } from './problem.js';
export { correlationIdFrom } from './correlation.js';
