import { encodeHtml } from '@rampart/core/safe';

interface Operation {
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly security?: readonly Record<string, unknown>[];
  readonly requestBody?: { readonly content?: Record<string, { readonly schema?: unknown }> };
  readonly parameters?: readonly { readonly name: string; readonly in: string; readonly required?: boolean }[];
  readonly responses?: Record<string, { readonly description?: string }>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * The API reference as one static HTML page, rendered once from the OpenAPI document: no script, no style, nothing
 * from a request — every value is HTML-encoded, so a route description can never become markup.
 */
export function renderDocsPage(document: Record<string, unknown>): string {
  const info = (document.info ?? {}) as { title?: string; version?: string; description?: string };
  const paths = (document.paths ?? {}) as Record<string, Record<string, Operation>>;
  const sections: string[] = [];
  for (const path of Object.keys(paths).sort()) {
    for (const method of METHODS) {
      const operation = paths[path]?.[method];
      if (operation === undefined) continue;
      const parts: string[] = [`<section><h2><code>${method.toUpperCase()} ${encodeHtml(path)}</code></h2>`];
      if (operation.summary !== undefined) parts.push(`<p>${encodeHtml(operation.summary)}</p>`);
      if (operation.description !== undefined) parts.push(`<p>${encodeHtml(operation.description)}</p>`);
      const security = (operation.security ?? []).flatMap((entry) => Object.keys(entry));
      parts.push(`<p>Credential: ${security.length === 0 ? 'none' : encodeHtml(security.join(' or '))}</p>`);
      for (const parameter of operation.parameters ?? []) {
        parts.push(`<p>Parameter <code>${encodeHtml(parameter.name)}</code> in ${encodeHtml(parameter.in)}${parameter.required === true ? ' (required)' : ''}</p>`);
      }
      const body = operation.requestBody?.content;
      if (body !== undefined) {
        for (const [type, media] of Object.entries(body)) {
          parts.push(`<h3>Request body (${encodeHtml(type)})</h3><pre>${encodeHtml(JSON.stringify(media.schema ?? {}, null, 2))}</pre>`);
        }
      }
      const answers = Object.entries(operation.responses ?? {});
      if (answers.length > 0) {
        parts.push('<h3>Responses</h3><ul>');
        for (const [status, answer] of answers) parts.push(`<li><code>${encodeHtml(status)}</code> ${encodeHtml(answer.description ?? '')}</li>`);
        parts.push('</ul>');
      }
      parts.push('</section>');
      sections.push(parts.join(''));
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${encodeHtml(info.title ?? 'API')} API reference</title></head><body><header><h1>${encodeHtml(info.title ?? 'API')} ${encodeHtml(info.version ?? '')}</h1><p>${encodeHtml(info.description ?? '')}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p></header><main>${sections.join('')}</main></body></html>`;
}
