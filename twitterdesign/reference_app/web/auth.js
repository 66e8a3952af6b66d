// Sign up (registration API with an app token) and sign in (authorization code + PKCE).
import { ApiError, post, server, setToken } from "./api.js";

const SCOPES = "read write follow";
const PENDING = "td.pending-login";

function redirectUri() {
  return location.origin + location.pathname;
}

function base64url(bytes) {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(bytes = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** The S256 challenge of a verifier: BASE64URL(SHA-256(verifier)) (RFC 7636). */
export async function challengeOf(verifier) {
  return base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
}

/** This client's OAuth app on the current server, registered once and remembered. */
async function app() {
  const key = `td.app:${server()}:${redirectUri()}`;
  const known = localStorage.getItem(key);
  if (known) return JSON.parse(known);
  const made = await post("/api/v1/apps", {
    client_name: "twitterdesign web", redirect_uris: redirectUri(), scopes: SCOPES,
  }, { auth: null });
  localStorage.setItem(key, JSON.stringify(made));
  return made;
}

/** Go to the server's authorization page; `finishSignIn` completes on the way back. */
export async function startSignIn() {
  const { client_id } = await app();
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    client_id, redirect_uri: redirectUri(), response_type: "code", scope: SCOPES, state,
    code_challenge: await challengeOf(verifier), code_challenge_method: "S256",
  });
  location.assign(`${server()}/oauth/authorize?${query}`);
}

/** Exchange `?code=` for a token if the page was opened by the authorization redirect. */
export async function finishSignIn() {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  if (!code) return false;
  history.replaceState(null, "", `${location.pathname}#/home`);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  if (!pending || pending.state !== params.get("state")) {
    throw new ApiError(400, "This sign-in link is stale or was not started here. Sign in again.");
  }
  const { client_id, client_secret } = await app();
  const tok = await post("/oauth/token", {
    grant_type: "authorization_code", code, code_verifier: pending.verifier,
    client_id, client_secret, redirect_uri: redirectUri(),
  }, { auth: null });
  setToken(tok.access_token);
  return true;
}

/** Create an account through the registration API and keep its token. */
export async function signUp({ username, email, password }) {
  const { client_id, client_secret } = await app();
  const appToken = await post("/oauth/token", {
    grant_type: "client_credentials", client_id, client_secret, scope: SCOPES,
  }, { auth: null });
  const tok = await post("/api/v1/accounts", {
    username, email, password, agreement: true, locale: "en",
  }, { auth: appToken.access_token });
  setToken(tok.access_token);
}
