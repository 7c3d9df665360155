/**
 * A self-contained HTML page listing every operation of an OpenAPI document (no scripts, no CDN), so the
 * docs page works on a cluster without outbound network access.
 */
interface OperationLike {
  summary?: string;
  description?: string;
  security?: unknown[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string }>;
}

interface DocumentLike {
  info: { title: string; version: string; description?: string };
  paths?: object;
  components?: { schemas?: object };
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch,
  );

const methods = ["get", "post", "put", "patch", "delete"] as const;

export function renderDocsPage(document: DocumentLike): string {
  const rows: string[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {}) as [
    string,
    Record<string, OperationLike> | undefined,
  ][]) {
    for (const method of methods) {
      const op = item?.[method];
      if (!op) continue;
      const body = op.requestBody?.content?.["application/json"]?.schema;
      const responses = Object.entries(op.responses ?? {})
        .map(
          ([status, r]) => `<li><code>${escapeHtml(status)}</code> ${escapeHtml(r.description ?? "")}</li>`,
        )
        .join("");
      rows.push(
        `<section><h2><code>${method.toUpperCase()} ${escapeHtml(path)}</code>${op.security?.length ? " 🔒" : ""}</h2>` +
          `<p>${escapeHtml(op.summary ?? "")}</p>` +
          (op.description ? `<p>${escapeHtml(op.description)}</p>` : "") +
          (body ? `<h3>Request body</h3><pre>${escapeHtml(JSON.stringify(body, null, 2))}</pre>` : "") +
          `<h3>Responses</h3><ul>${responses}</ul></section>`,
      );
    }
  }
  const schemas = Object.entries(document.components?.schemas ?? {})
    .map(
      ([name, schema]) =>
        `<h3 id="schema-${escapeHtml(name)}">${escapeHtml(name)}</h3><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre>`,
    )
    .join("");
  const title = `${document.info.title} ${document.info.version}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:.5rem;overflow:auto}section{border-top:1px solid #ddd}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(document.info.description ?? "")}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>${rows.join("\n")}<h2>Schemas</h2>${schemas}</body></html>`;
}
