// The Mastodon client API over fetch: bearer token, JSON, Link-header paging, clear errors.

const SERVER_KEY = "td.server";
const TOKEN_KEY = "td.token";

/** An error the API answered (status and its message) or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function server() {
  return localStorage.getItem(SERVER_KEY) || location.origin;
}

export function setServer(url) {
  localStorage.setItem(SERVER_KEY, url.replace(/\/+$/, ""));
}

export function token() {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
}

/** Parse RFC 8288 Link: `<url>; rel="next", <url>; rel="prev"` into {next, prev}. */
export function parseLinks(header) {
  const links = {};
  for (const part of (header || "").split(",")) {
    const m = part.match(/<([^>]+)>\s*;\s*rel="?([^";]+)"?/);
    if (m) links[m[2]] = m[1];
  }
  return links;
}

/**
 * Call the API. `path` is a path on the server or a full URL (a Link header's);
 * `body` is an object (sent as JSON) or FormData. Returns {data, links}.
 */
export async function call(path, { method = "GET", body, auth = token(), signal } = {}) {
  const headers = { Accept: "application/json" };
  if (auth) headers.Authorization = `Bearer ${auth}`;
  let payload = body;
  if (body && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const url = path.startsWith("http") ? path : server() + path;
  let reply;
  try {
    reply = await fetch(url, { method, headers, body: payload, signal });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, navigator.onLine
      ? "Could not reach the server. Check that it is running, then try again."
      : "You are offline. Reconnect, then try again.");
  }
  const text = await reply.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!reply.ok) {
    const message = (data && (data.error_description || data.error)) || `HTTP ${reply.status}`;
    throw new ApiError(reply.status, message);
  }
  return { data, links: parseLinks(reply.headers.get("Link")) };
}

export const get = (path, opts) => call(path, opts).then((r) => r.data);
export const post = (path, body, opts = {}) => call(path, { ...opts, method: "POST", body }).then((r) => r.data);
export const del = (path, opts = {}) => call(path, { ...opts, method: "DELETE" }).then((r) => r.data);
