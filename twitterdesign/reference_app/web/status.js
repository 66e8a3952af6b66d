// One status: author, content, media, time, and its actions with optimistic updates.
import { ApiError, del, post } from "./api.js";
import { h, sanitize, timeEl } from "./dom.js";
import { howItWorks } from "./internals.js";

/**
 * What the client learnt the server can do: bookmarks are optional in the API, and the
 * "How it works" panel needs the server's teaching endpoint (off unless enabled).
 */
export const features = { bookmarks: true, debugApi: false };

/**
 * Render `status` (a reblog shows the original with a "reblogged by" line).
 * ctx: {me, notify(message, isError), onReply(status), onDeleted(id), focused}.
 */
export function renderStatus(status, ctx) {
  const shown = status.reblog || status;
  const article = h("article", {
    class: `status${ctx.focused ? " focused" : ""}${status.reblog ? " reblog" : ""}`, dataset: { id: status.id, shownId: shown.id },
    "aria-labelledby": `by-${status.id}`,
  });
  if (status.reblog) {
    article.append(h("p", { class: "meta" }, "Reblogged by ",
      h("a", { href: `#/accounts/${status.account.id}` }, status.account.display_name || status.account.username)));
  }
  const a = shown.account;
  article.append(h("header", {},
    h("a", { class: "name", id: `by-${status.id}`, href: `#/accounts/${a.id}` }, a.display_name || a.username),
    h("span", { class: "acct" }, `@${a.acct}`),
    shown.visibility !== "public" ? h("span", { class: "meta" }, `· ${shown.visibility}`) : null,
    h("a", { class: "when", href: `#/statuses/${shown.id}` }, timeEl(shown.created_at),
      h("span", { class: "visually-hidden" }, ", open thread")),
  ));
  if (shown.in_reply_to_id) {
    article.append(h("p", { class: "meta" }, h("a", { href: `#/statuses/${shown.in_reply_to_id}` }, "In reply to a post")));
  }
  article.append(h("div", { class: "content" }, sanitize(shown.content, shown)));
  if (shown.media_attachments && shown.media_attachments.length) {
    article.append(h("div", { class: "media" }, shown.media_attachments.map((m) =>
      h("a", { href: m.url, target: "_blank", rel: "noopener" },
        h("img", { src: m.preview_url || m.url, alt: m.description || "Image without a description", loading: "lazy" })))));
  }
  const bar = actions(shown, ctx);
  article.append(bar);
  if (features.debugApi) {
    const { button, panel } = howItWorks(shown);
    bar.append(button);
    article.append(panel);
  }
  return article;
}

function count(n) {
  return String(n || 0);
}

function icon(glyph) {
  return glyph ? h("span", { "aria-hidden": "true" }, `${glyph} `) : null;
}

function actions(s, ctx) {
  const bar = h("div", { class: "actions", role: "group", "aria-label": "Actions" });
  const signedIn = Boolean(ctx.me);
  const reply = h("button", { class: "plain", type: "button", disabled: !signedIn, onclick: () => ctx.onReply(s) },
    icon("↩"), "Reply ", h("span", { class: "n" }, count(s.replies_count)));
  const boost = toggle(s, ctx, {
    cls: "boost", label: "Reblog", field: "reblogged", counter: "reblogs_count",
    on: "reblog", off: "unreblog", icon: "⇄",
  });
  const fav = toggle(s, ctx, {
    cls: "fav", label: "Like", field: "favourited", counter: "favourites_count",
    on: "favourite", off: "unfavourite", icon: "♥",
  });
  bar.append(reply, boost, fav);
  if (features.bookmarks && "bookmarked" in s) {
    bar.append(toggle(s, ctx, { cls: "mark", label: "Bookmark", field: "bookmarked", on: "bookmark", off: "unbookmark", icon: "" }));
  }
  if (typeof s.views_count === "number") {
    bar.append(h("span", { class: "views" }, `${s.views_count} view${s.views_count === 1 ? "" : "s"}`));
  }
  if (ctx.me && s.account.id === ctx.me.id) {
    bar.append(h("button", { class: "plain", type: "button", onclick: () => remove(s, ctx) }, "Delete"));
  }
  return bar;
}

/** A pressed/unpressed action whose count changes at once and is rolled back on error. */
function toggle(s, ctx, { cls, label, field, counter, on, off, icon: glyph }) {
  const btn = h("button", { class: `plain ${cls}`, type: "button", disabled: !ctx.me, "aria-pressed": String(Boolean(s[field])) });
  const n = h("span", { class: "n" });
  const paint = () => {
    btn.setAttribute("aria-pressed", String(Boolean(s[field])));
    n.textContent = counter ? count(s[counter]) : "";
  };
  btn.append(...[icon(glyph), counter ? `${label} ` : label, n].filter(Boolean));
  paint();
  btn.addEventListener("click", async () => {
    const before = counter ? { [field]: s[field], [counter]: s[counter] } : { [field]: s[field] };
    const next = !s[field];
    s[field] = next;
    if (counter) s[counter] = Math.max(0, (s[counter] || 0) + (next ? 1 : -1));
    paint();
    btn.disabled = true;
    try {
      const fresh = await post(`/api/v1/statuses/${s.id}/${next ? on : off}`);
      const source = fresh && fresh.reblog && on === "reblog" ? fresh.reblog : fresh;
      if (source && source.id === s.id && counter && typeof source[counter] === "number") {
        s[counter] = Math.max(source[counter], 0);
      }
    } catch (err) {
      Object.assign(s, before);
      if (field === "bookmarked" && err instanceof ApiError && err.status === 404) {
        features.bookmarks = false;
        for (const el of document.querySelectorAll(".actions button.mark")) el.remove();
        ctx.notify("Bookmarks are not available on this server.", true);
        return;
      }
      ctx.notify(`Could not ${(next ? on : off)}: ${err.message}`, true);
    } finally {
      btn.disabled = false;
      paint();
    }
  });
  return btn;
}

async function remove(s, ctx) {
  if (!confirm("Delete this post?")) return;
  const shown = [...document.querySelectorAll(`article[data-shown-id="${s.id}"]`)];
  for (const el of shown) el.hidden = true;
  try {
    await del(`/api/v1/statuses/${s.id}`);
    for (const el of shown) el.remove();
    ctx.onDeleted(s.id);
    ctx.notify("Post deleted.");
  } catch (err) {
    for (const el of shown) el.hidden = false;
    ctx.notify(`Could not delete: ${err.message}`, true);
  }
}
