// twitterdesign web client: a hash router and the screens, over the public client API.
import { ApiError, call, get, post, server, setServer, setToken, token } from "./api.js";
import { finishSignIn, signUp, startSignIn } from "./auth.js";
import { composeForm } from "./compose.js";
import { h, refreshTimes, timeEl } from "./dom.js";
import { Feed } from "./feed.js";
import { features, renderStatus } from "./status.js";
import { Stream } from "./stream.js";

const main = document.getElementById("main");
const state = { me: null, limits: { maxChars: 280, maxMedia: 4 }, stream: null, cleanup: [] };

function notify(message, isError = false) {
  const target = document.getElementById(isError ? "alert" : "notice");
  const other = document.getElementById(isError ? "notice" : "alert");
  other.textContent = "";
  target.textContent = message;
  clearTimeout(target.timer);
  if (!isError) target.timer = setTimeout(() => { target.textContent = ""; }, 4000);
}

const ctx = () => ({
  me: state.me, notify,
  onReply: (s) => { location.hash = `#/statuses/${s.id}`; },
  onDeleted: () => {},
});

function screen(title, ...children) {
  document.title = `${title} · twitterdesign`;
  main.replaceChildren(h("h1", {}, title), ...children);
}

function requireSignIn() {
  screen("Sign in to continue", h("p", {}, "This page needs an account. ",
    h("a", { href: "#/login" }, "Sign in"), " or ", h("a", { href: "#/signup" }, "sign up"), "."));
}

function live(stream, tag, feed) {
  if (!state.stream) state.stream = new Stream();
  state.cleanup.push(state.stream.subscribe(stream, tag, (event, payload) => {
    if (event === "update") feed().arrived(payload);
    else if (event === "delete") feed().removed(String(payload));
  }));
}

// The home timeline's order, kept while navigating (and across visits): "latest" is
// Mastodon's chronological home; "top" asks this server to rank it (?order=top).
const ORDER_KEY = "td.homeOrder";
const homeOrder = () => (localStorage.getItem(ORDER_KEY) === "top" ? "top" : "latest");

function orderChoice(onChange) {
  const current = homeOrder();
  const choice = (value, label) => h("span", { class: "choice" },
    h("input", { type: "radio", name: "home-order", id: `order-${value}`, value, checked: value === current,
      "aria-describedby": "order-hint", onchange: () => { localStorage.setItem(ORDER_KEY, value); onChange(); } }),
    h("label", { for: `order-${value}` }, label));
  return h("fieldset", { class: "order" }, h("legend", {}, "Show"),
    choice("latest", "Latest"), choice("top", "Top"),
    h("span", { id: "order-hint", class: "muted hint" }));
}

function timeline(title, path, stream, tag, { ordered = false } = {}) {
  let feed = null;
  const slot = h("div", {});
  const show = () => {
    if (feed) feed.close();
    const top = ordered && homeOrder() === "top";
    feed = new Feed(top ? `${path}&order=top` : path, ctx(), top ? `${title}, top posts` : title, { reloadOnShow: top });
    slot.replaceChildren(feed.el);
    const hint = document.getElementById("order-hint");
    if (hint) hint.textContent = top ? "Most liked, reblogged and replied first; newer wins at equal engagement." : "Newest first.";
    feed.load();
  };
  state.cleanup.push(() => feed && feed.close());
  const parts = [];
  if (state.me && stream !== "hashtag") {
    parts.push(composeForm({ limits: state.limits, notify, onPosted: (s) => {
      if (feed.reloadOnShow) return; // a ranked feed places it itself on the next load
      if (stream === "user" || s.visibility === "public") feed.add(s, "start");
    } }));
  }
  if (ordered) parts.push(orderChoice(show));
  screen(title, ...parts, slot);
  show();
  live(stream, tag, () => feed);
}

async function thread(id) {
  const [status, context] = await Promise.all([
    get(`/api/v1/statuses/${id}`), get(`/api/v1/statuses/${id}/context`),
  ]);
  const c = ctx();
  const list = h("div", { class: "feed" },
    context.ancestors.map((s) => renderStatus(s, c)),
    renderStatus(status, { ...c, focused: true, onReply: () => reply.querySelector("textarea").focus() }),
    context.descendants.map((s) => renderStatus(s, c)));
  const reply = state.me ? composeForm({ limits: state.limits, replyTo: status.reblog || status, notify,
    onPosted: (s) => list.append(renderStatus(s, c)) }) : h("p", {}, h("a", { href: "#/login" }, "Sign in"), " to reply.");
  screen("Post", list, reply);
}

async function profile(id) {
  const account = await get(`/api/v1/accounts/${id}`);
  const stats = h("dl", {},
    h("dt", {}, "Posts"), h("dd", {}, account.statuses_count),
    h("dt", {}, "Following"), h("dd", {}, account.following_count),
    h("dt", {}, "Followers"), h("dd", { class: "followers" }, account.followers_count));
  const head = h("div", { class: "profile" },
    h("p", { class: "muted" }, `@${account.acct}`), stats);
  if (state.me && state.me.id !== account.id) head.append(await followButton(account, stats));
  const feed = new Feed(`/api/v1/accounts/${id}/statuses?limit=20`, ctx(), "Posts");
  state.cleanup.push(() => feed.close());
  screen(account.display_name || account.username, head, feed.el);
  feed.load();
}

async function followButton(account, stats) {
  const [rel] = await get(`/api/v1/accounts/relationships?id[]=${account.id}`);
  let following = rel ? rel.following || rel.requested : false;
  const followers = stats.querySelector(".followers");
  const btn = h("button", { type: "button" });
  const paint = () => {
    btn.textContent = following ? "Unfollow" : "Follow";
    btn.setAttribute("aria-pressed", String(following));
    followers.textContent = account.followers_count;
  };
  btn.addEventListener("click", async () => {
    following = !following;
    account.followers_count += following ? 1 : -1;
    paint();
    try {
      await post(`/api/v1/accounts/${account.id}/${following ? "follow" : "unfollow"}`);
    } catch (err) {
      following = !following;
      account.followers_count += following ? 1 : -1;
      notify(`Could not ${following ? "unfollow" : "follow"}: ${err.message}`, true);
    }
    paint();
  });
  paint();
  return btn;
}

async function search(q) {
  const input = h("input", { id: "q", type: "search", name: "q", value: q || "" });
  const form = h("form", { role: "search", onsubmit: (e) => {
    e.preventDefault();
    location.hash = `#/search?q=${encodeURIComponent(input.value)}`;
  } }, h("label", { for: "q" }, "Search accounts, posts and hashtags"),
  h("div", { class: "form-row" }, input, h("button", { type: "submit" }, "Search")));
  screen("Search", form);
  if (!q) return input.focus();
  const found = await get(`/api/v2/search?q=${encodeURIComponent(q)}&resolve=false&limit=20`);
  const c = ctx();
  main.append(
    h("h2", {}, "Accounts"), list(found.accounts, (a) => h("a", { href: `#/accounts/${a.id}` }, `${a.display_name || a.username} @${a.acct}`)),
    h("h2", {}, "Hashtags"), list(found.hashtags, (t) => h("a", { href: `#/tags/${encodeURIComponent(t.name)}` }, `#${t.name}`)),
    h("h2", {}, "Posts"), found.statuses.length ? h("div", { class: "feed" }, found.statuses.map((s) => renderStatus(s, c))) : h("p", { class: "muted" }, "No posts found."));
}

function list(items, render) {
  return items.length ? h("ul", {}, items.map((x) => h("li", {}, render(x)))) : h("p", { class: "muted" }, "None found.");
}

const VERBS = { follow: "followed you", favourite: "liked your post", reblog: "reblogged your post", mention: "mentioned you", status: "posted", update: "edited a post" };

async function notifications() {
  const { data } = await call("/api/v1/notifications?limit=30");
  const c = ctx();
  screen("Notifications", data.length ? h("div", {}, data.map((n) => h("div", { class: "notification" },
    h("p", {}, h("a", { href: `#/accounts/${n.account.id}` }, n.account.display_name || n.account.username),
      ` ${VERBS[n.type] || n.type} `, h("span", { class: "muted" }, "· ", timeEl(n.created_at))),
    n.status && n.type !== "mention" ? h("p", { class: "muted" }, h("a", { href: `#/statuses/${n.status.id}` }, "View post")) : null,
    n.type === "mention" && n.status ? renderStatus(n.status, c) : null))) : h("p", { class: "muted" }, "No notifications yet."));
}

function signInScreen() {
  const url = h("input", { id: "server", type: "url", value: server(), autocomplete: "url" });
  screen("Sign in", h("form", { class: "card", onsubmit: async (e) => {
    e.preventDefault();
    setServer(url.value || location.origin);
    try { await startSignIn(); } catch (err) { notify(`Could not start sign-in: ${err.message}`, true); }
  } }, h("p", {}, "You will sign in on the server's own page, then come back here."),
  h("label", { for: "server" }, "Server"), url,
  h("p", {}, h("button", { type: "submit" }, "Sign in with OAuth"))),
  h("p", {}, "New here? ", h("a", { href: "#/signup" }, "Create an account"), "."));
}

function signUpScreen() {
  const field = (id, label, type, auto) => [h("label", { for: id }, label),
    h("input", { id, name: id, type, autocomplete: auto, required: true, ...(id === "password" ? { minlength: 8 } : {}) })];
  screen("Create an account", h("form", { class: "card", onsubmit: async (e) => {
    e.preventDefault();
    const f = e.target.elements;
    try {
      await signUp({ username: f.username.value, email: f.email.value, password: f.password.value });
      await loadMe();
      location.hash = "#/home";
    } catch (err) { notify(`Could not sign up: ${err.message}`, true); }
  } }, field("username", "Username (letters, digits, _)", "text", "username"),
  field("email", "Email", "email", "email"), field("password", "Password (8 or more characters)", "password", "new-password"),
  h("p", {}, h("button", { type: "submit" }, "Sign up"))));
}

async function trends() {
  const box = document.getElementById("trends");
  let tags;
  try {
    tags = (await get("/lesson/v1/trends?k=10", { auth: null })).tags.map((t) => ({ ...t, bounds: true }));
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) return;
    tags = (await get("/api/v1/trends/tags?limit=10", { auth: null }).catch(() => []))
      .map((t) => ({ name: t.name, uses: Number((t.history[0] || {}).uses || 0) }));
  }
  box.replaceChildren(...(tags.length ? tags.map((t) => h("li", {},
    h("a", { href: `#/tags/${encodeURIComponent(t.name)}` }, `#${t.name}`),
    h("span", { class: "meta" }, `${t.uses} post${t.uses === 1 ? "" : "s"}`,
      t.bounds ? ` (true count ${t.lower_bound}–${t.upper_bound})` : ""))) : [h("li", { class: "muted" }, "No trends yet.")]));
}

function nav(route) {
  const links = state.me
    ? [["#/home", "Home"], ["#/public", "Public"], ["#/notifications", "Notifications"], ["#/search", "Search"], [`#/accounts/${state.me.id}`, "Profile"], ["#/logout", "Sign out"]]
    : [["#/public", "Public"], ["#/search", "Search"], ["#/login", "Sign in"], ["#/signup", "Sign up"]];
  document.getElementById("nav").replaceChildren(...links.map(([href, label]) =>
    h("a", { href, "aria-current": route === href.slice(1) ? "page" : null }, label)));
}

async function route() {
  for (const undo of state.cleanup.splice(0)) undo();
  const [path, query] = (location.hash.slice(1) || (state.me ? "/home" : "/public")).split("?");
  const params = new URLSearchParams(query || "");
  nav(path);
  const [, name, arg] = path.split("/");
  try {
    if (name === "home") return state.me ? timeline("Home", "/api/v1/timelines/home?limit=20", "user", undefined, { ordered: true }) : requireSignIn();
    if (name === "public" || !name) return timeline("Public", "/api/v1/timelines/public?limit=20", "public");
    if (name === "tags" && arg) {
      const tag = decodeURIComponent(arg).toLowerCase();
      return timeline(`#${tag}`, `/api/v1/timelines/tag/${encodeURIComponent(tag)}?limit=20`, "hashtag", tag);
    }
    if (name === "statuses" && arg) return await thread(arg);
    if (name === "accounts" && arg) return await profile(arg);
    if (name === "search") return await search(params.get("q"));
    if (name === "notifications") return state.me ? await notifications() : requireSignIn();
    if (name === "login") return signInScreen();
    if (name === "signup") return signUpScreen();
    if (name === "logout") {
      setToken(null);
      state.me = null;
      if (state.stream) { state.stream.close(); state.stream = null; }
      location.hash = "#/public";
      return;
    }
    screen("Not found", h("p", {}, "There is no such page here. ", h("a", { href: "#/public" }, "Go to the public timeline"), "."));
  } catch (err) {
    screen("Something went wrong", h("p", {}, err.message));
  } finally {
    // A new screen starts keyboard navigation at its top, unless it focused a field itself.
    const active = document.activeElement;
    if (!(active !== main && main.contains(active) && active.matches("input, textarea"))) {
      main.focus({ preventScroll: true });
    }
    trends();
  }
}

async function loadMe() {
  state.me = token() ? await get("/api/v1/accounts/verify_credentials").catch((err) => {
    if (err.status === 401) setToken(null);
    return null;
  }) : null;
  if (state.stream) { state.stream.close(); state.stream = null; }
}

async function start() {
  window.addEventListener("offline", () => notify("You are offline. New posts and actions will wait until you reconnect.", true));
  window.addEventListener("online", () => { notify("Back online."); route(); });
  try {
    await finishSignIn();
  } catch (err) {
    notify(`Sign-in failed: ${err.message}`, true);
  }
  try {
    const instance = await get("/api/v2/instance", { auth: null });
    const c = instance.configuration || {};
    // Not Mastodon's: this server says whether its "How it works" endpoint is on.
    features.debugApi = Boolean((instance.twitterdesign || {}).debug_api);
    state.limits = {
      maxChars: (c.statuses || {}).max_characters || 280,
      maxMedia: (c.statuses || {}).max_media_attachments || 4,
    };
  } catch (err) {
    notify(`The server did not answer: ${err.message}`, true);
  }
  await loadMe();
  window.addEventListener("hashchange", route);
  await route();
  setInterval(refreshTimes, 30000);
  setInterval(trends, 60000);
}

start();
