export { createChain, RequestContext, type Chain, type ChainOptions, type ChainOutcome } from './chain.js';
export { ResponseHeaders } from './headers.js';
export {
  fetchHeaderReader,
  nodeHeaderReader,
  trustNoProxy,
  LazyRequestView,
  type ClientAddress,
  type ClientAddressResolver,
  type RequestInput,
} from './request.js';
export {
  CONTINUE,
  contextKey,
  deny,
  type Continue,
  type ContextKey,
  type Deny,
  type Guard,
  type GuardContext,
  type RequestView,
  type Respond,
  type ResponseHeaderSink,
  type Verdict,
} from './types.js';
