// The streaming API over one websocket (Mastodon's protocol), reconnecting with back-off.
import { server, token } from "./api.js";

export class Stream {
  constructor() {
    this.handlers = new Set();
    this.subs = new Map();
    this.ws = null;
    this.retryMs = 1000;
    this.closed = false;
  }

  /** Subscribe to `stream` (user, public, hashtag + tag); returns an unsubscribe function. */
  subscribe(stream, tag, onEvent) {
    const key = `${stream}:${tag || ""}`;
    const entry = { stream, tag, onEvent };
    this.subs.set(key, entry);
    this.send({ type: "subscribe", stream, tag });
    this.open();
    return () => {
      if (this.subs.get(key) !== entry) return;
      this.subs.delete(key);
      this.send({ type: "unsubscribe", stream, tag });
    };
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  open() {
    if (this.ws || this.closed) return;
    const url = `${server().replace(/^http/, "ws")}/api/v1/streaming`;
    const auth = token();
    this.ws = auth ? new WebSocket(url, auth) : new WebSocket(url);
    this.ws.onopen = () => {
      this.retryMs = 1000;
      for (const { stream, tag } of this.subs.values()) this.send({ type: "subscribe", stream, tag });
    };
    this.ws.onmessage = (msg) => this.dispatch(msg.data);
    this.ws.onclose = () => {
      this.ws = null;
      if (this.closed || !this.subs.size) return;
      setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 30000);
    };
  }

  dispatch(text) {
    let msg;
    try { msg = JSON.parse(text); } catch { return; }
    if (!msg.event || !Array.isArray(msg.stream)) return;
    const [stream, tag] = msg.stream;
    const sub = this.subs.get(`${stream}:${tag || ""}`);
    if (!sub) return;
    let payload = msg.payload;
    try { payload = JSON.parse(payload); } catch { /* delete events carry a bare id */ }
    sub.onEvent(msg.event, payload);
  }

  close() {
    this.closed = true;
    if (this.ws) this.ws.close();
  }
}
