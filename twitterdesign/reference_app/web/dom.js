// Small DOM helpers, relative times and a sanitizer for status HTML from any server.

/** h("button", {class: "x", onclick}, "text", child): build an element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      el.append(child instanceof Node ? child : String(child));
    }
  }
  return el;
}

const UNITS = [[60, "s"], [60, "m"], [24, "h"], [7, "d"]];

/** "now", "45s", "2m", "3h", "5d", then a short date. */
export function relativeTime(date, now = Date.now()) {
  let value = Math.max(0, Math.round((now - date.getTime()) / 1000));
  if (value < 5) return "now";
  for (const [size, unit] of UNITS) {
    if (value < size) return `${value}${unit}`;
    value = Math.floor(value / size);
  }
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return date.toLocaleDateString(undefined, sameYear
    ? { month: "short", day: "numeric" } : { year: "numeric", month: "short", day: "numeric" });
}

/** A <time> showing the relative time, with the full date on hover. */
export function timeEl(iso) {
  const date = new Date(iso);
  const full = date.toLocaleString(undefined, { dateStyle: "full", timeStyle: "short" });
  return h("time", { datetime: iso, title: full }, relativeTime(date));
}

/** Refresh every relative time on the page (called on a timer). */
export function refreshTimes() {
  for (const el of document.querySelectorAll("time[datetime]")) {
    el.textContent = relativeTime(new Date(el.getAttribute("datetime")));
  }
}

/**
 * Status content is HTML written by a server; keep only text, paragraphs, line breaks
 * and http(s) links, and point hashtag and mention links at this client's own screens.
 */
export function sanitize(html, { mentions = [], tags = [] } = {}) {
  const doc = new DOMParser().parseFromString(`<body>${html || ""}</body>`, "text/html");
  const out = document.createDocumentFragment();
  const byUrl = new Map(mentions.map((m) => [m.url, m.id]));
  const tagNames = new Set(tags.map((t) => t.name.toLowerCase()));
  const walk = (node, into) => {
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) { into.append(child.textContent); continue; }
      if (child.nodeType !== Node.ELEMENT_NODE) continue;
      const tag = child.tagName.toLowerCase();
      if (tag === "br") { into.append(h("br")); continue; }
      if (tag === "p") { const p = h("p"); walk(child, p); into.append(p); continue; }
      if (tag === "a") { into.append(link(child, byUrl, tagNames)); continue; }
      walk(child, into);
    }
  };
  walk(doc.body, out);
  return out;
}

function link(a, byUrl, tagNames) {
  const text = a.textContent;
  const href = a.getAttribute("href") || "";
  if (byUrl.has(href)) return h("a", { href: `#/accounts/${byUrl.get(href)}` }, text);
  if (text.startsWith("#") && tagNames.has(text.slice(1).toLowerCase())) {
    return h("a", { href: `#/tags/${encodeURIComponent(text.slice(1).toLowerCase())}` }, text);
  }
  if (/^https?:\/\//i.test(href)) return h("a", { href, rel: "nofollow noopener noreferrer", target: "_blank" }, text);
  return document.createTextNode(text);
}

/** Characters as the server counts them: Unicode code points (Python's len). */
export function countChars(text) {
  return [...text].length;
}
