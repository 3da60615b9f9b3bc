"""The dark theme, switched to with Settings open (issue 10): swatches, radio buttons,
menus and drop-down lists, checked on the pixels the X server draws."""

from __future__ import annotations

import io
import subprocess
from tkinter import ttk
from typing import Any

import pytest
from PIL import Image

from chinwag.desktop.settings import SWATCHES
from chinwag.desktop.theme import contrast
from tests.client.conftest import RestartableServer
from tests.desktop.conftest import MakeApp, log_in, pump

pytestmark = pytest.mark.display


def grab(widget: Any) -> Image.Image:
    """What the X server shows of `widget`, as ImageMagick's `import` reads it."""
    widget.update()
    png = subprocess.run(
        ["import", "-window", hex(widget.winfo_id()), "png:-"], check=True, capture_output=True
    ).stdout
    return Image.open(io.BytesIO(png)).convert("RGB")


def hex_of(rgb: tuple[int, ...]) -> str:
    return "#" + "".join(f"{c:02x}" for c in rgb[:3])


def test_switching_to_dark_with_settings_open(
    make_app: MakeApp, chat_server: RestartableServer
) -> None:
    app = make_app(chat_server.address, theme="light")
    log_in(app, "ada", create=True)
    dialog = app.open_settings()
    pump(app.root, 0.2)
    dark = next(r for r in dialog.radios if r.cget("value") == "dark")
    dark.invoke()
    pump(app.root, 0.3)
    assert app.palette.mode == "dark"

    # Every swatch still shows its colour.
    for chip, color in zip(dialog.swatches, SWATCHES, strict=True):
        image = grab(chip)
        middle = image.getpixel((image.width // 2, image.height // 2))
        assert contrast(hex_of(middle), color) < 1.1, (color, hex_of(middle))

    # The chosen radio button is filled with the accent, the other is a dark ring.
    light = next(r for r in dialog.radios if r.cget("value") == "light")
    for radio, chosen in ((dark, True), (light, False)):
        image = grab(radio)
        x, y = image.height // 2, image.height // 2  # the indicator sits at the left
        centre = hex_of(image.getpixel((x, y)))
        ring = [hex_of(image.getpixel((x + dx, y))) for dx in range(-6, 7)]
        if chosen:
            assert any(contrast(c, app.palette.accent) < 1.6 for c in ring), ring
        else:
            assert contrast(centre, app.palette.bg) < 1.3, centre  # hollow, not white

    # Menus and drop-down lists take the theme's colours too.
    menu = app.build_user_menu("ada")
    assert str(menu.cget("background")) == app.palette.surface
    assert str(menu.cget("foreground")) == app.palette.fg
    mute = app.moderate("mute", "ada", "general")
    box = next(w for w in mute.body.winfo_children() if isinstance(w, ttk.Combobox))
    popdown = app.root.tk.call("ttk::combobox::PopdownWindow", box)
    listbox = f"{popdown}.f.l"  # made by Tk, not tkinter: read through Tcl
    assert str(app.root.tk.call(listbox, "cget", "-background")) == app.palette.input_bg
    assert str(app.root.tk.call(listbox, "cget", "-foreground")) == app.palette.fg
