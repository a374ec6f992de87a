// html.mjs: escaping and the page layout. Every page is built here on the server; the only
// script is /static/site.js (the Resend countdown and the Show/Hide toggle), so the CSP allows
// no inline script.
const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ESC[c]);

/** A template tag that escapes every value except those made by `raw`. */
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((v, i) => {
    out += (Array.isArray(v) ? v : [v]).map((x) => (x instanceof Raw ? x.s : esc(x))).join("") + strings[i + 1];
  });
  return new Raw(out);
}
class Raw {
  constructor(s) {
    this.s = s;
  }
  toString() {
    return this.s;
  }
}
export const raw = (s) => new Raw(s);

/** The message box: the service's text exactly as it came. kind: "error" or "ok". */
export function notice(n) {
  if (!n) return "";
  return html`<p class="notice ${n.kind}" role="${n.kind === "error" ? "alert" : "status"}" data-testid="message">${n.text}</p>`;
}

export const csrfField = (token) => html`<input type="hidden" name="_csrf" value="${token}">`;

export function layout({ brand, title, body, nav }) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · ${esc(brand.name)}</title>
<link rel="stylesheet" href="/static/site.css">
</head>
<body class="${esc(brand.css)}">
<header><a class="brand" href="/">${esc(brand.logo)} ${esc(brand.name)}</a><nav>${nav ?? ""}</nav></header>
<main>
<h1>${esc(title)}</h1>
${body}
</main>
<footer>A reference site for phoneauth (${esc(brand.profile)} profile)</footer>
<script src="/static/site.js" defer></script>
</body>
</html>
`;
}

/** A password field with the Show/Hide toggle (site.js flips the type of the fields it names). */
export function passwordFields(fields) {
  const ids = fields.map((f) => f.name).join(",");
  return html`${fields.map(
    (f) => html`<label for="${f.name}">${f.label}</label>
<input type="password" id="${f.name}" name="${f.name}" autocomplete="${f.autocomplete}" required>`,
  )}
<button type="button" class="toggle" data-toggle="${ids}" aria-pressed="false">Show</button>`;
}

export function rulesList(rules) {
  return html`<ul class="rules" data-testid="rules">${rules.map((r) => html`<li>${r}</li>`)}</ul>`;
}

/** "2026-11-21 14:03:07 UTC" from unix milliseconds (a bigint, as protobuf-es gives int64). */
export function when(ms) {
  const n = Number(ms ?? 0);
  if (!n) return "";
  return new Date(n).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}
