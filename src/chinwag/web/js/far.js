// A far-back run: the history around a message far older than what the page holds (a
// search result, a quoted original), shown in the main timeline in place of the room's
// newest messages, as Element and Slack do. Scrolling up pages back (`history` with
// `before`), scrolling down pages forward (`sync` from the run's last seq) until the
// run meets the messages held for the live room: then it joins them, and the timeline
// is one run again. "Jump to latest" leaves it.
//
// The run's messages are kept in the room's Timeline map (state.js), outside its shown
// run `first..last`: edits, deletions, reactions and pins apply to them there as to any
// held message, and the view draws them with `get(seq)` like the live run. This object
// is only the range `first..last` the view draws instead, and the paging at its ends.

// Each page back or forward: the largest the server gives.
const PAGE = 200;

export class FarRun {
  /** `tl`: the room's Timeline; `page`: a `history` reply with `around`. */
  constructor(app, tl, page) {
    this.app = app;
    this.tl = tl;
    this.room = tl.room;
    const msgs = page.messages;
    for (const m of msgs) tl.put(m);
    this.first = msgs[0].seq;
    this.last = msgs[msgs.length - 1].seq;
    this.loaded = true;
    this.hasOlder = page.more && this.first > 1;
    this.hasNewer = true;
    this.loadingOlder = false;
    this.loadingNewer = false;
  }

  get(seq) {
    return this.tl.get(seq);
  }

  /** Whether this run is still the one shown (not left or joined meanwhile). */
  get current() {
    return this.app.timeline.away === this && this.app.state.timelines.get(this.room) === this.tl;
  }

  /** The page before the oldest message of the run. */
  async loadOlder() {
    const app = this.app;
    if (!this.hasOlder || this.loadingOlder || !app.conn.open) return;
    this.loadingOlder = true;
    app.timeline.renderTop();
    try {
      const reply = await app.request("history", { room: this.room, before: this.first, limit: PAGE });
      if (!this.current) return;
      for (const m of reply.messages) this.tl.put(m);
      if (reply.messages.length) this.first = Math.min(this.first, reply.messages[0].seq);
      this.hasOlder = reply.more && reply.messages.length > 0 && this.first > 1;
    } catch {
      // tried again on the next scroll
    } finally {
      this.loadingOlder = false;
    }
    if (this.current) app.state.changed("timeline", { room: this.room, changed: [] });
  }

  /** The page after the newest message of the run; it joins the live run on meeting it. */
  async loadNewer() {
    const app = this.app;
    if (!this.hasNewer || this.loadingNewer || !app.conn.open || !this.tl.loaded) return;
    this.loadingNewer = true;
    app.timeline.renderTop();
    try {
      const reply = await app.request("sync", { since: { [this.room]: this.last }, limit: PAGE });
      if (!this.current) return;
      const live = this.tl;
      const mine = reply.messages.filter((m) => m.room === this.room && m.seq > this.last);
      // Up to the live run: kept here; from it on, they are the live room's (any new one
      // among them arrives as if live, counted as new below).
      const before = mine.filter((m) => m.seq < live.first);
      const after = mine.filter((m) => m.seq >= live.first);
      for (const m of before) {
        if (m.seq !== this.last + 1) break; // never a hole in the run
        live.put(m);
        this.last = m.seq;
      }
      if (this.last + 1 >= live.first) {
        this.join();
        for (const room of app.state.addMessages(after)) app.session.fillGap(room);
        return;
      }
      this.hasNewer = mine.length > 0 || reply.more.includes(this.room);
    } catch {
      // tried again on the next scroll
    } finally {
      this.loadingNewer = false;
    }
    if (this.current) app.state.changed("timeline", { room: this.room, changed: [] });
  }

  /** The run meets the live one: the timeline becomes one run, from this one's first. */
  join() {
    const live = this.tl;
    if (this.first < live.first) {
      live.first = this.first;
      live.hasOlder = this.hasOlder;
    }
    this.app.timeline.away = null;
    this.app.state.changed("timeline", { room: this.room, changed: [] });
  }

  /** Left for the newest ("Jump to latest", another room): its messages are let go. */
  drop() {
    const live = this.tl;
    for (let s = this.first; s <= this.last && s < live.first; s += 1) live.msgs.delete(s);
  }
}
