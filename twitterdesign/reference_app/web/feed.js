// A paged list of statuses: infinite scroll by Link headers, live updates held in a
// "N new posts" banner so nothing moves while the reader reads.
import { call } from "./api.js";
import { h } from "./dom.js";
import { renderStatus } from "./status.js";

export class Feed {
  /**
   * path: first page; ctx: status context; label: the feed's accessible name.
   * reloadOnShow: new posts are not put on top but the feed is loaded again (a ranked
   * feed, where a new post's place is the server's to decide).
   */
  constructor(path, ctx, label, { reloadOnShow = false } = {}) {
    this.first = path;
    this.next = path;
    this.reloadOnShow = reloadOnShow;
    this.ctx = ctx;
    this.seen = new Set();
    this.pending = [];
    this.list = h("div", { class: "feed", role: "feed", "aria-label": label, "aria-busy": "false" });
    this.banner = h("button", { class: "new-posts", type: "button", hidden: true, onclick: () => this.showPending() });
    this.more = h("button", { class: "more plain", type: "button", onclick: () => this.load() }, "Load more");
    this.empty = h("p", { class: "muted", hidden: true }, "Nothing here yet.");
    this.el = h("section", {}, this.banner, this.list, this.empty, this.more);
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) this.load();
    }, { rootMargin: "400px" });
    this.observer.observe(this.more);
  }

  async load() {
    if (!this.next || this.loading) return;
    this.loading = true;
    this.list.setAttribute("aria-busy", "true");
    this.more.textContent = "Loading…";
    try {
      const { data, links } = await call(this.next);
      this.next = data.length ? links.next || null : null;
      for (const s of data) this.add(s, "end");
      this.empty.hidden = this.seen.size > 0;
    } catch (err) {
      this.ctx.notify(`Could not load posts: ${err.message}`, true);
    } finally {
      this.loading = false;
      this.list.setAttribute("aria-busy", "false");
      this.more.textContent = "Load more";
      this.more.hidden = !this.next;
    }
  }

  add(status, where) {
    if (this.seen.has(status.id)) return;
    this.seen.add(status.id);
    // The stream can announce a post before the request that made it has answered.
    if (this.pending.some((s) => s.id === status.id)) {
      this.pending = this.pending.filter((s) => s.id !== status.id);
      this.paintBanner();
    }
    const el = renderStatus(status, this.ctx);
    if (where === "start") this.list.prepend(el);
    else this.list.append(el);
    this.empty.hidden = true;
  }

  /** A status from the stream: held until the reader asks for it. */
  arrived(status) {
    if (this.seen.has(status.id) || this.pending.some((s) => s.id === status.id)) return;
    this.pending.push(status);
    this.paintBanner();
  }

  paintBanner() {
    const n = this.pending.length;
    this.banner.textContent = `Show ${n} new post${n === 1 ? "" : "s"}`;
    this.banner.hidden = n === 0;
  }

  showPending() {
    if (this.reloadOnShow) {
      this.pending = [];
      this.banner.hidden = true;
      this.seen.clear();
      this.list.replaceChildren();
      this.next = this.first;
      this.load().then(() => this.focusFirst());
      return;
    }
    const items = this.pending.splice(0);
    for (const s of items) this.add(s, "start");
    this.banner.hidden = true;
    this.focusFirst();
  }

  focusFirst() {
    const first = this.list.querySelector("article");
    if (first) {
      first.setAttribute("tabindex", "-1");
      first.focus();
    }
  }

  removed(id) {
    this.pending = this.pending.filter((s) => s.id !== id && (!s.reblog || s.reblog.id !== id));
    this.paintBanner();
    for (const el of this.list.querySelectorAll(`article[data-id="${id}"], article[data-shown-id="${id}"]`)) el.remove();
  }

  close() {
    this.observer.disconnect();
  }
}
