// The window of the timeline: only a bounded run of a room's messages is in the page
// (up to MAX_ROWS), however many the room holds. Scrolling near an edge adds a small
// chunk of rows there, at most one chunk a frame, and drops as many from the far side,
// keeping what is on screen where it was. So the work of a frame is the same whatever
// the room holds: a chunk of rows built off the page and inserted at once, one layout
// read to keep the view in place, and the frame's own layout and paint of at most
// MAX_ROWS rows. Nothing here walks the messages held.
//
// A profile of a scroll through 100,000 messages (Chromium's trace) put most of a frame
// in the layout, pre-paint and paint of the rows in the page (all of them move when rows
// are added above) and in the forced layout that keeps the view in place; building the
// rows was a small part. Hence fewer rows in the page, added ten at a time.

// Rows are added when the view comes this close (px) to an edge of the window.
const NEAR_EDGE = 900;
// The most messages in the page, and each addition.
export const MAX_ROWS = 160;
export const CHUNK = 10;

/** The windowing half of TimelineView (timeline.js), which holds the timeline, draws
 * the rows (`units`) and the line above them (`renderTop`). */
export class RowWindow {
  /** The first row on screen and where it is, to keep it there across a change: a
   * binary search of the rows (they stand in order, top to bottom), so a few layout
   * reads, not one per row. Not the window's first message if one follows it: that
   * one is drawn again when rows are added above (its name line may go), and the rows
   * under it would move. */
  anchor() {
    const top = this.scroller.getBoundingClientRect().top;
    const rows = this.list.children;
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rows[mid].getBoundingClientRect().bottom > top) hi = mid;
      else lo = mid + 1;
    }
    let first = null;
    for (let i = lo; i < rows.length; i += 1) {
      const el = rows[i];
      if (!el.classList.contains("msg")) continue;
      const y = el.getBoundingClientRect().top;
      if (Number(el.dataset.unit) !== this.first) return { el, y };
      first = { el, y };
    }
    return first;
  }

  /** The anchor row back where it was: one layout read after the change. */
  restore(anchor) {
    const el = anchor.el.isConnected ? anchor.el : document.getElementById(anchor.el.id);
    if (!el) return;
    const shift = el.getBoundingClientRect().top - anchor.y;
    if (shift) this.scroller.scrollTop += shift;
    this.atBottom = this.isNearBottom();
  }

  /** Add rows where the view nears an edge of the window, or ask for an older page (or
   * a newer one, for a far-back run: far.js). */
  fill() {
    const tl = this.tl;
    if (!tl || !tl.loaded || !this.rendered) return;
    const s = this.scroller;
    // A short window may be near both edges: then the end that has more to show.
    const nearTop = s.scrollTop < NEAR_EDGE;
    const nearBottom = s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_EDGE;
    if (nearTop && this.first > tl.first) this.extendUp();
    else if (nearBottom && this.last < tl.last) this.extendDown();
    else if (nearTop && tl.hasOlder && !tl.loadingOlder) this.app.loadOlder(this.room);
    else if (nearBottom && tl.hasNewer && !tl.loadingNewer) tl.loadNewer();
  }

  /** A chunk of rows above the window; as many dropped below. Layout is read before
   * the page is changed (the anchor) and once after (to put it back), never between. */
  extendUp() {
    const tl = this.tl;
    const from = Math.max(tl.first, this.first - CHUNK);
    const anchor = this.anchor();
    // The old first message is drawn again: its day separator and grouping depend on
    // the message before it, which it now has.
    const old = this.unitOf(this.first);
    const fresh = this.fragment(from, this.first);
    for (const el of old) el.remove();
    this.list.prepend(fresh);
    this.first = from;
    this.trimBottom(this.last - this.first + 1 - MAX_ROWS);
    this.renderTop();
    this.pendingList.hidden = !this.live;
    if (anchor) this.restore(anchor);
  }

  /** A chunk of rows below the window; as many dropped above. */
  extendDown() {
    const tl = this.tl;
    const to = Math.min(tl.last, this.last + CHUNK);
    const anchor = this.anchor();
    this.list.append(this.fragment(this.last + 1, to));
    this.last = to;
    this.trimTop(this.last - this.first + 1 - MAX_ROWS);
    this.renderTop();
    this.pendingList.hidden = !this.live;
    if (anchor) this.restore(anchor);
    this.updateJump();
  }

  /** The rows of `from..to` built off the page, to insert in one go. */
  fragment(from, to) {
    const out = document.createDocumentFragment();
    out.append(...this.units(from, to));
    return out;
  }

  /** Drop the rows of the first `n` messages of the window, in one removal. */
  trimTop(n) {
    if (n <= 0) return;
    const upTo = this.first + n;
    let end = this.list.firstElementChild;
    while (end && Number(end.dataset.unit) < upTo) end = end.nextElementSibling;
    const range = document.createRange();
    range.setStart(this.list, 0);
    if (end) range.setEndBefore(end);
    else range.setEnd(this.list, this.list.childNodes.length);
    range.deleteContents();
    this.first = upTo;
  }

  /** Drop the rows of the last `n` messages of the window, in one removal. */
  trimBottom(n) {
    if (n <= 0) return;
    const from = this.last - n;
    let start = this.list.lastElementChild;
    while (start && Number(start.dataset.unit) > from) start = start.previousElementSibling;
    const range = document.createRange();
    if (start) range.setStartAfter(start);
    else range.setStart(this.list, 0);
    range.setEnd(this.list, this.list.childNodes.length);
    range.deleteContents();
    this.last = from;
  }
}
