export * from './review/types.js';
export * from './review/review.js';
export * from './review/baseline.js';
export * from './review/report/index.js';
export * from './review/progress.js';
export * from './review/suppress.js';
export {
  collectSourceFiles,
  isSourceFileName,
  parseReviewIgnore,
  relativeToRoot,
  REVIEW_IGNORE_FILE,
  ReviewIgnoreError,
  ReviewPathError,
  SOURCE_EXTENSIONS,
  type IgnoredFiles,
} from './review/files.js';
export * from './review/fix/index.js';
export * from './review/engine/index.js';
