// What the server pushes: each event frame applied to the state (the views redraw from
// the state's change notices), plus the side effects some of them have.

export function handleEvent(app, frame) {
  const state = app.state;
  switch (frame.type) {
    case "message": {
      const msg = frame.message;
      const tl = state.timelines.get(msg.room);
      const known = tl ? tl.msgs.has(msg.seq) : false;
      if (
        msg.room === app.active &&
        msg.kind === "text" &&
        !state.isMe(msg.sender) &&
        !(app.pageVisible() && app.timeline.atBottom)
      ) {
        app.timeline.ensureMarker();
      }
      for (const room of state.addMessages([msg])) app.session.fillGap(room);
      if (!known && app.ready) app.notifier.maybeNotify(msg);
      break;
    }
    case "message_deleted":
      state.deleteMessage(frame.room, frame.seq);
      break;
    case "message_edited":
      state.editMessage(frame.message);
      break;
    case "message_updated":
      state.updateMessage(frame.message);
      break;
    case "presence":
      if (!state.user(frame.user)) app.session.refreshUsersSoon();
      state.setPresence(frame.user, frame.online);
      break;
    case "typing":
      state.startTyping(frame.room, frame.user);
      break;
    case "room_updated": {
      const added = state.upsertRoom(frame.room);
      if (added) {
        // A room one was just added to (a DM, an invitation): its first messages may
        // come with its first load rather than live; they are news all the same.
        const since = frame.room.last_seq || 0;
        const room = frame.room.id;
        app.session
          .loadNewest(room)
          .then(() => {
            const tl = state.timelines.get(room);
            if (!tl || !app.ready) return;
            for (const msg of tl.msgs.values()) if (msg.seq > since) app.notifier.maybeNotify(msg);
          })
          .catch((e) => app.session.keepComplete(e));
      }
      break;
    }
    case "member_joined":
      state.memberJoined(frame.room, frame.user, frame.role);
      break;
    case "member_left":
      if (state.isMe(frame.user)) app.rooms.gone(frame.room);
      else state.memberLeft(frame.room, frame.user);
      break;
    case "user_updated":
      state.updateUser(frame.user);
      break;
    case "kicked":
      if (frame.room) {
        const room = state.rooms.get(frame.room);
        const name = room ? app.roomTitle(room) : frame.room;
        const by = frame.by ? ` by ${state.displayName(frame.by)}` : "";
        app.toast(`You were removed from ${name}${by}${frame.reason ? `: ${frame.reason}` : ""}.`, "error");
        app.rooms.gone(frame.room);
      } else {
        // Removed from the server: the close that follows says so on the login page.
        app.session.kickedBy = { by: frame.by, reason: frame.reason };
      }
      break;
    case "read":
      if (frame.thread != null) app.conv.readThread(frame.room, frame.thread, frame.seq);
      else app.reads.heard(frame.room, frame.seq);
      break;
    case "muted":
      app.muting.onMuted(frame);
      break;
    case "unmuted":
      app.muting.onUnmuted(frame);
      break;
    case "restarting":
      // The connection closes next (1012); it comes back within `back_in`.
      app.restarting = Date.now();
      app.renderStatus();
      break;
    case "server_notice":
      app.toast(frame.text, "notice", 20000);
      break;
    default:
      break;
  }
}
