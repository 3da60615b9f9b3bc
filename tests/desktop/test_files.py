"""Files in the real desktop app (issue 11): a PNG uploaded shows as a thumbnail row of
the size the Attachment gives, for its sender and for others; an upload can be
cancelled; one over the server's limit is refused in words in the upload bar.

With CHINWAG_SCREENSHOTS=DIR set, the thumbnail test writes DIR/desktop-files.png and
the progress test DIR/desktop-upload.png.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tkinter as tk
from pathlib import Path

import pytest
from PIL import Image

from chinwag.client import Client
from chinwag.desktop.thumbs import display_size
from tests.client.conftest import RestartableServer
from tests.conftest import unavailable
from tests.desktop.conftest import LoopThread, MakeApp, log_in, pump, pump_until

pytestmark = pytest.mark.display

SHOTS = os.environ.get("CHINWAG_SCREENSHOTS")


def write_png(path: Path, size: tuple[int, int]) -> Path:
    """A picture with a red left half and a blue right half."""
    img = Image.new("RGB", size, (220, 40, 40))
    img.paste((40, 60, 220), (size[0] // 2, 0, size[0], size[1]))
    out = io.BytesIO()
    img.save(out, "PNG")
    path.write_bytes(out.getvalue())
    return path


def shoot(app: object, name: str, *, now: bool = False) -> None:
    """A screenshot of the app's window, if asked for; `now`: as it is drawn at this
    moment (Tk handles no more events meanwhile, so an upload's bar stays mid-way)."""
    if not SHOTS:
        return
    root = app.root  # type: ignore[attr-defined]
    if now:
        root.update_idletasks()
        window = root.winfo_toplevel().wm_frame()
        subprocess.run(["import", "-window", window, str(Path(SHOTS) / name)], check=True)
        return
    from tests.desktop.screenshots import capture

    capture(root, Path(SHOTS) / name)


def test_an_uploaded_png_shows_as_a_thumbnail(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: object,
    loop_thread: LoopThread,
    tmp_path: Path,
) -> None:
    bob: Client = other("bob")  # type: ignore[operator]
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    main = app.main
    assert main is not None
    assert main.composer.attach_button.winfo_ismapped()
    loop_thread.run(bob.send("general", "send me the harbour plan?"))
    path = write_png(tmp_path / "harbour plan.png", (1600, 900))

    item = app.upload(path)
    assert item is not None
    assert main.composer.uploads.winfo_manager() == "grid"  # the bar shows meanwhile
    rs = app.state.rooms["general"]

    def mine() -> object:
        found = [m for m in rs.timeline() if m.attachments and m.sender == "ada"]
        return found[-1] if found else None

    msg = pump_until(app.root, mine, what="the message carrying the file")
    att = msg.attachments[0]  # type: ignore[attr-defined]
    assert (att.name, att.width, att.height) == ("harbour plan.png", 1600, 900)
    pump_until(app.root, lambda: att.id in main.timeline.thumbs.loaded, what="the thumbnail")
    assert not main.composer.uploads.winfo_ismapped()
    photo = main.timeline.thumbs.photos[att.id]
    assert (photo.width(), photo.height()) == display_size(att) == (320, 180)
    # The thumbnail's pixels, not a blank: red on the left, blue on the right.
    left, right = photo.get(40, 90), photo.get(280, 90)
    assert left[0] > 180 and left[2] < 90, left
    assert right[2] > 180 and right[0] < 90, right
    text = main.timeline.text
    assert len(text.image_names()) == 1
    shown = text.get("1.0", "end")
    assert "harbour plan.png" in shown and "Save" in shown
    # Bob's client got the attachment in the message event too.
    got = loop_thread.run(bob.history("general"))
    assert any(m.attachments and m.attachments[0].id == att.id for m in got.messages)
    loop_thread.run(bob.send("general", "thanks, that is the one"))
    pump_until(app.root, lambda: "that is the one" in text.get("1.0", "end"), what="reply")
    shoot(app, "desktop-files.png")

    # Clicking the thumbnail opens the full image in a window of its own.
    from chinwag.desktop.viewer import ImageViewer

    index = text.index(f"{text.tag_ranges('thumb')[0]}")
    text.see(index)
    app.root.update()
    x, y, w, h = text.bbox(index)
    text.event_generate("<Motion>", x=x + w // 2, y=y + h // 2, warp=True)
    text.event_generate("<ButtonRelease-1>", x=x + w // 2, y=y + h // 2)
    viewer = pump_until(
        app.root,
        lambda: next((d for d in app.dialogs if isinstance(d, ImageViewer)), None),
        what="the viewer",
    )
    pump_until(app.root, lambda: viewer.loaded, what="the full-size image")
    width, height = viewer.photo.width(), viewer.photo.height()
    assert 800 < width <= 1280 and abs(width / height - 16 / 9) < 0.01
    viewer.close()


def test_an_upload_can_be_cancelled(
    make_app: MakeApp, chat_server: RestartableServer, tmp_path: Path
) -> None:
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    main = app.main
    assert main is not None
    path = tmp_path / "site backup.tar.gz"
    path.write_bytes(os.urandom(24 * 1024 * 1024))

    item = app.upload(path)
    assert item is not None
    assert item.cancel.cget("text") == "Cancel"
    # Cancelled half-way, once the bar has moved.
    pump_until(app.root, lambda: item.bar.cget("value") > 0, what="progress")
    assert 0 < float(item.bar.cget("value")) < item.total
    assert " of 25 MB" in item.status.cget("text")
    item.cancel.invoke()
    assert item.done and item.future is not None and item.future.cancelled()
    assert not main.composer.uploads.winfo_ismapped()
    # Nothing is sent: no message carries the file, even after a while.
    pump(app.root, 1.0)
    rs = app.state.rooms["general"]
    assert not [m for m in rs.timeline() if m.attachments]
    assert not rs.pending


def test_an_upload_over_the_limit_is_refused_in_words(
    make_app: MakeApp, chat_server: RestartableServer, tmp_path: Path
) -> None:
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    main = app.main
    assert main is not None
    small = write_png(tmp_path / "small.png", (64, 64))
    big = tmp_path / "holiday video.mp4"
    big.write_bytes(b"\0" * 30_000_000)  # the limit is 25 MiB

    item = app.upload(big)
    assert item is not None
    pump_until(app.root, lambda: item.error, what="the refusal")
    assert item.error == "A file may have at most 26 MB."
    assert item.status.cget("text") == item.error
    assert item.cancel.cget("text") == "Dismiss"
    assert main.composer.uploads.winfo_ismapped()
    # Another upload meanwhile goes on under the refusal.
    second = app.upload(small)
    assert second is not None
    pump_until(app.root, lambda: second.done, what="the second upload")
    if SHOTS:  # a big upload's bar mid-way, under the refusal
        backup = tmp_path / "site backup.tar.gz"
        backup.write_bytes(os.urandom(24 * 1024 * 1024))
        third = app.upload(backup)
        assert third is not None
        pump_until(app.root, lambda: third.bar.cget("value") > 0, what="progress")
        shoot(app, "desktop-upload.png", now=True)
        third.cancel.invoke()
    item.cancel.invoke()
    app.root.update()
    assert not main.composer.uploads.winfo_ismapped()


def test_files_dropped_on_the_window_are_uploaded(
    make_app: MakeApp, chat_server: RestartableServer, tmp_path: Path
) -> None:
    """tkdnd is loaded and the timeline and the box are drop targets; the drop itself
    is run through the Tcl binding tkdnd calls (an X11 drag needs a second program
    holding the files: not driven here)."""
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    main = app.main
    assert main is not None
    assert app.drop_enabled
    for widget in (main.timeline.text, main.composer.text):
        types = str(app.root.tk.call("bind", widget, "<<DropTargetTypes>>"))
        assert "text/uri-list" in types.split()  # DND_Files, on X11
    one = write_png(tmp_path / "first shot.png", (40, 30))
    two = write_png(tmp_path / "second.png", (30, 40))
    script = str(app.root.tk.call("bind", main.timeline.text, "<<Drop>>"))
    # What tkdnd passes as %D: a Tcl list of paths (a folder among them is skipped).
    paths = " ".join("{" + str(p) + "}" for p in (one, two, tmp_path))
    app.root.tk.eval(script.replace("%D", "{" + paths + "}"))
    assert [u.name for u in app.uploads] == ["first shot.png", "second.png"]
    rs = app.state.rooms["general"]
    pump_until(
        app.root,
        lambda: len([m for m in rs.timeline() if m.attachments]) == 2,
        what="both files sent",
    )


def test_pasting_text_still_pastes_text(make_app: MakeApp, chat_server: RestartableServer) -> None:
    """Paste first asks Pillow for an image on the clipboard; with text there (or no
    clipboard tool: Linux without xclip or wl-paste) the text is pasted as before and
    nothing is uploaded."""
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    main = app.main
    assert main is not None
    app.root.clipboard_clear()
    app.root.clipboard_append("see the attached plan")
    main.composer.text.focus_force()
    main.composer.text.event_generate("<<Paste>>")
    app.root.update()
    assert main.composer.value() == "see the attached plan"
    assert not app.uploads


def test_a_pasted_image_is_uploaded(
    make_app: MakeApp, chat_server: RestartableServer, tmp_path: Path
) -> None:
    """A PNG on the X11 clipboard (held by xclip, as an image editor would) is uploaded
    on paste and sent; the box stays empty."""
    if shutil.which("xclip") is None:
        unavailable(
            "xclip is not installed (apt install xclip): Pillow reads X11's clipboard with it"
        )
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    main = app.main
    assert main is not None
    picture = write_png(tmp_path / "shot.png", (120, 80))
    # This app owns the clipboard first, so that it hears xclip take it over (Tk keeps
    # a display's clipboard state across the interpreters of one test process).
    app.root.clipboard_clear()
    app.root.clipboard_append("before")
    app.root.update()
    holder = subprocess.Popen(
        ["xclip", "-quiet", "-selection", "clipboard", "-t", "image/png", "-i", str(picture)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def offered() -> bool:
        try:
            return "image/png" in str(app.root.clipboard_get(type="TARGETS"))
        except tk.TclError:
            return False

    try:
        pump_until(app.root, offered, what="xclip holding the clipboard")
        main.composer.text.focus_force()
        main.composer.text.event_generate("<<Paste>>")
        assert [u.name[:7] for u in app.uploads] == ["pasted "]
        rs = app.state.rooms["general"]
        msg = pump_until(
            app.root,
            lambda: next((m for m in rs.timeline() if m.attachments), None),
            what="the pasted image sent",
        )
        att = msg.attachments[0]
        assert (att.content_type, att.width, att.height) == ("image/png", 120, 80)
        assert main.composer.value() == ""
    finally:
        holder.kill()
        holder.wait()
