// The compose form: a counter that counts like the server, visibility, reply, media + alt.
import { call, post } from "./api.js";
import { countChars, h } from "./dom.js";

let formCount = 0;

/** limits: {maxChars, maxMedia}; onPosted(status). */
export function composeForm({ limits, replyTo = null, onPosted, notify }) {
  const n = ++formCount;
  const text = h("textarea", { id: `text-${n}`, name: "status", "aria-describedby": `count-${n}`, rows: 3 });
  if (replyTo) text.value = `@${replyTo.account.acct} `;
  const counter = h("span", { class: "counter", id: `count-${n}` });
  const visibility = h("select", { id: `vis-${n}`, name: "visibility" },
    ["public", "unlisted", "private", "direct"].map((v) =>
      h("option", { value: v, selected: replyTo ? v === replyTo.visibility : v === "public" },
        { public: "Public", unlisted: "Unlisted", private: "Followers only", direct: "Mentioned only" }[v])));
  const files = h("input", { id: `media-${n}`, type: "file", accept: "image/*", multiple: true });
  const previews = h("div", { class: "previews" });
  const submit = h("button", { type: "submit" }, replyTo ? "Reply" : "Post");
  let attached = [];

  const paint = () => {
    const left = limits.maxChars - countChars(text.value);
    counter.textContent = `${left} characters left`;
    counter.classList.toggle("over", left < 0);
    submit.disabled = left < 0 || (!text.value.trim() && !attached.length);
  };
  files.addEventListener("change", () => {
    const chosen = [...files.files].slice(0, limits.maxMedia - attached.length);
    for (const file of chosen) {
      const alt = h("input", { type: "text", maxlength: 1500, "aria-label": `Alt text for ${file.name}` });
      const url = URL.createObjectURL(file);
      const item = { file, alt, url };
      const remove = h("button", { class: "plain", type: "button", onclick: () => {
        attached = attached.filter((x) => x !== item);
        figure.remove();
        URL.revokeObjectURL(url);
        paint();
      } }, `Remove ${file.name}`);
      const figure = h("figure", {}, h("img", { src: url, alt: "" }), alt, remove);
      item.figure = figure;
      attached.push(item);
      previews.append(figure);
    }
    files.value = "";
    paint();
  });
  text.addEventListener("input", paint);
  text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) form.requestSubmit();
  });

  const form = h("form", { class: "compose", "aria-label": replyTo ? "Reply" : "New post" },
    h("label", { for: text.id }, replyTo ? `Reply to @${replyTo.account.acct}` : "What's happening?"),
    text,
    h("div", { class: "form-row" },
      h("label", { for: visibility.id, class: "visually-hidden" }, "Visibility"), visibility,
      h("label", { for: files.id, class: "visually-hidden" }, "Attach images"), files,
      counter, submit),
    previews,
    h("p", { class: "muted" }, "Ctrl+Enter posts."));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      const mediaIds = [];
      for (const item of attached) {
        const body = new FormData();
        body.append("file", item.file);
        if (item.alt.value.trim()) body.append("description", item.alt.value.trim());
        mediaIds.push((await call("/api/v2/media", { method: "POST", body })).data.id);
      }
      const status = await post("/api/v1/statuses", {
        status: text.value, visibility: visibility.value, media_ids: mediaIds,
        ...(replyTo ? { in_reply_to_id: replyTo.id } : {}),
      });
      text.value = "";
      for (const item of attached) { item.figure.remove(); URL.revokeObjectURL(item.url); }
      attached = [];
      notify("Posted.");
      onPosted(status);
    } catch (err) {
      notify(`Could not post: ${err.message}`, true);
    } finally {
      paint();
    }
  });
  paint();
  return form;
}
