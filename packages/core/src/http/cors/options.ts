import type { SecurityEventSink } from '../../events.js';

/** Options of {@link cors}. Every default is the safe one; each loosening has a name and is reported once. */
export interface CorsOptions {
  /**
   * Exact allowed origins, `scheme://host[:port]` (e.g. `https://app.example.com`), compared byte for byte with the
   * `Origin` header. Must be https, except loopback hosts (`http://localhost:3000`) or with `allowInsecureOrigins`.
   * `['*']` alone makes the resources public (`Access-Control-Allow-Origin: *`): refused with `credentials` or
   * `privateNetwork`. `null` is always refused.
   */
  readonly origins: readonly string[];
  /**
   * Wildcard origins, `scheme://*.host[:port]`: each leading `*` is exactly one DNS label, as in TLS certificates
   * (`https://*.example.com` allows `https://a.example.com`, not `https://a.b.example.com` nor `https://example.com`;
   * write `https://*.*.example.com` for two labels). Default: none.
   */
  readonly patterns?: readonly string[];
  /** Send `Access-Control-Allow-Credentials: true` (cookies, HTTP auth). Default `false`. A loosening. */
  readonly credentials?: boolean;
  /** Required, with `credentials`, to combine credentials with `patterns`. Default `false`. A loosening. */
  readonly allowCredentialsWithPatterns?: boolean;
  /** Allow plain-http origins and patterns on non-loopback hosts. Default `false`. A loosening. */
  readonly allowInsecureOrigins?: boolean;
  /**
   * Methods a preflight may ask for (`Access-Control-Allow-Methods`). Default `['GET', 'HEAD', 'POST']`. The
   * CORS-safelisted `GET`, `HEAD` and `POST` always pass a preflight: a browser sends them without one anyway.
   */
  readonly methods?: readonly string[];
  /** Request headers a preflight may ask for. Default `['content-type', 'authorization', 'x-csrf-token']`. */
  readonly allowHeaders?: readonly string[];
  /** Response headers the page may read beyond the safelisted ones (`Access-Control-Expose-Headers`). Default none. */
  readonly exposeHeaders?: readonly string[];
  /** How long a browser may cache a preflight (`Access-Control-Max-Age`), 0…7200 seconds. Default 600. */
  readonly maxAgeSeconds?: number;
  /**
   * Answer Private Network Access preflights (`Access-Control-Request-Private-Network: true`) with
   * `Access-Control-Allow-Private-Network: true`, for allowed origins only. Default `false`: such preflights are
   * refused. A loosening; refused with `origins: ['*']`.
   */
  readonly privateNetwork?: boolean;
  /** Receives one `config.loosened` event per loosening when the guard is built. */
  readonly events?: SecurityEventSink;
}
