// "How it works": a disclosure under a status showing how the server handled it — where
// the hybrid fan-out put it, its sharded counters part by part, its Snowflake id decoded.
// Served by the teaching endpoint GET /lesson/v1/debug/statuses/:id, which a server
// offers only when /api/v2/instance says {"twitterdesign": {"debug_api": true}}.
import { get } from "./api.js";
import { h } from "./dom.js";

let panels = 0;

/** The toggle button (for the actions bar) and its panel (shown under them). */
export function howItWorks(status) {
  const n = ++panels;
  const heading = h("h3", { id: `hiw-title-${n}` }, "How it works");
  const body = h("div", {});
  const panel = h("section", {
    id: `hiw-${n}`, class: "internals", hidden: true, tabindex: "-1",
    "aria-labelledby": `hiw-title-${n}`, "aria-live": "polite", "aria-busy": "false",
  }, heading, body);
  const button = h("button", {
    class: "plain hiw", type: "button", "aria-expanded": "false", "aria-controls": panel.id,
  }, "How it works");
  const close = () => {
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
  };
  const open = async () => {
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    panel.setAttribute("aria-busy", "true");
    body.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    try {
      const data = await get(`/lesson/v1/debug/statuses/${status.id}`);
      body.replaceChildren(...explain(data));
    } catch (err) {
      body.replaceChildren(h("p", {}, `Could not load how this post was handled: ${err.message}`));
    } finally {
      panel.setAttribute("aria-busy", "false");
    }
  };
  button.addEventListener("click", () => (panel.hidden ? open() : close()));
  // Escape closes the panel from anywhere inside it (or on its button) and puts the
  // keyboard back on the button, so nobody is left focused inside a hidden panel.
  const escape = (e) => {
    if (e.key === "Escape" && !panel.hidden) {
      e.preventDefault();
      close();
      button.focus();
    }
  };
  button.addEventListener("keydown", escape);
  panel.addEventListener("keydown", escape);
  return { button, panel };
}

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function people(audience) {
  if (!audience.accounts.length) return null;
  const more = audience.count - audience.accounts.length;
  return h("ul", { class: "who" },
    audience.accounts.map((a) => h("li", {}, h("a", { href: `#/accounts/${a.id}` }, `@${a.acct}`))),
    more > 0 ? h("li", { class: "muted" }, `and ${more} more`) : null);
}

function explain(data) {
  return [snowflake(data), fanout(data.fanout), counters(data.counters)];
}

function snowflake(data) {
  const f = data.snowflake;
  const when = new Date(f.created_at);
  return h("div", { class: "part snowflake" },
    h("h4", {}, "Snowflake id"),
    h("dl", {},
      h("dt", {}, "Id"), h("dd", {}, h("code", {}, data.id)),
      h("dt", {}, "Time"), h("dd", {}, h("time", { datetime: f.created_at },
        when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" })),
        ` (${f.timestamp_ms} ms)`),
      h("dt", {}, "Worker"), h("dd", { class: "worker" }, String(f.worker_id)),
      h("dt", {}, "Sequence"), h("dd", { class: "sequence" }, String(f.sequence))),
    h("p", { class: "muted" },
      "41 bits of milliseconds since ", new Date(f.epoch_ms).toISOString().slice(0, 10),
      ", 10 bits of worker, 12 bits of sequence: ids sort by time, and no two workers make the same one."));
}

function fanout(f) {
  const part = h("div", { class: "part fanout" },
    h("h4", {}, `Fan-out (hybrid: push up to ${plural(f.threshold, "follower")})`));
  const author = `@${f.author.acct}`;
  if (f.delivery === "push") {
    const checked = f.followers_checked < f.author_followers
      ? ` (the newest ${f.followers_checked} of ${f.author_followers} followers checked)` : "";
    part.append(
      h("p", { class: "pushed" }, `Pushed at write time into ${plural(f.pushed_to.count, "follower's home timeline", "followers' home timelines")}${checked}:`),
      people(f.pushed_to) || h("p", { class: "muted" }, "None holds it now."),
      h("p", { class: "muted" }, `${author} has ${plural(f.author_followers, "follower")}. Followers who had not read their home timeline lately were skipped; they get the post when their timeline is rebuilt from the database on their next read.`));
  } else {
    const why = f.author_followers > f.threshold
      ? `${author} has ${plural(f.author_followers, "follower")}, more than ${f.threshold}: a celebrity.`
      : `${author} was a celebrity when the fan-out last handled one of their posts, so readers keep merging their posts.`;
    part.append(
      h("p", { class: "merged" }, `${why} Not pushed: ${plural(f.merged_at_read.count, "follower merges", "followers merge")} it from the database at read time:`),
      people(f.merged_at_read) || h("p", { class: "muted" }, "No followers."));
    if (f.pushed_to.count) {
      part.append(h("p", { class: "pushed" }, `Still held by ${plural(f.pushed_to.count, "home timeline")} from before:`), people(f.pushed_to));
    }
  }
  part.append(h("p", { class: "muted" }, f.author_timeline
    ? `${author}'s own home timeline holds it.`
    : `${author}'s own home timeline does not hold it (not read lately; rebuilt on the next read).`));
  return part;
}

const NAMES = [["favourites", "Likes"], ["reblogs", "Reblogs"], ["replies", "Replies"], ["views", "Views"]];

function counters(c) {
  const deferred = c.mode === "deferred";
  const list = (values, extra) => h("td", { class: "list" },
    values.length ? `${values.join(" ")}${extra || ""}` : "—");
  const rows = NAMES.map(([key, label]) => {
    const p = c[key];
    return h("tr", { dataset: { counter: key } },
      h("th", { scope: "row" }, label),
      h("td", { class: "total" }, String(p.total)),
      h("td", {}, String(p.stored)),
      list(p.shards),
      h("td", {}, String(p.in_flight)),
      list(p.buffered, p.unbatched ? `, +${p.unbatched} not batched yet` : ""));
  });
  const how = deferred
    ? "The cluster's sharded counters: each like, reblog, reply or batch of views is added to one of the Redis shards (picked at random, so one hot post's likes never meet on one key); a worker flushes the shards' sums into the database column in batches."
    : "Embedded mode: likes, reblogs and replies go straight into the database column; views are buffered in this server process, in shards, and flushed every few seconds.";
  return h("div", { class: "part counters" },
    h("h4", {}, "Counters"),
    h("p", {}, how),
    h("div", { class: "scroll", role: "region", tabindex: "0", "aria-label": "Counters, part by part" },
      h("table", {},
        h("caption", {}, "Where each count sits: shown = stored + shards + in flight + buffered here"),
        h("thead", {}, h("tr", {},
          ["Counter", "Shown", "Stored", "Redis shards", "In flight", "Buffered here"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows))));
}
