import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';

/*
 * oidc-provider runs on the raw Node request (it is a Koa application); the server's guard chain ran on the Fastify
 * request wrapping it. The provider's hooks (pages, certificates, client-authentication throttling) find the Fastify
 * request — its CSP nonce, CSRF token, resolved client address — through this map. Weak: an entry goes with its request.
 */
const handedOver = new WeakMap<IncomingMessage, FastifyRequest>();

/** Records that `request` is being handed to the provider. */
export function rememberRequest(request: FastifyRequest): void {
  handedOver.set(request.raw, request);
}

/** The Fastify request the provider's raw request belongs to, when it came through the server's routes. */
export function fastifyRequestOf(raw: IncomingMessage): FastifyRequest | undefined {
  return handedOver.get(raw);
}
