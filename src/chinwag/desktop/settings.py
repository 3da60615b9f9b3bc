"""The settings dialog: display name, colour, password, theme, notifications (for what,
and how), log out."""

from __future__ import annotations

import re
import tkinter as tk
from collections.abc import Callable
from tkinter import colorchooser, ttk
from typing import Protocol

from PIL import Image, ImageDraw, ImageTk

from chinwag.desktop import boot
from chinwag.desktop.dialogs import Dialog, Done
from chinwag.desktop.mentions import EVERY, MENTIONS
from chinwag.desktop.theme import DARK, LIGHT, Palette, readable

SWATCHES = [
    "#e0245e", "#d4a000", "#0ea5a4", "#3b82f6", "#8b5cf6",
    "#ec4899", "#f97316", "#22c55e", "#64748b", "#0f766e",
]  # fmt: skip
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class SettingsActions(Protocol):
    def save_profile(self, display_name: str, color: str, done: Done) -> None: ...
    def change_password(self, old: str, new: str, done: Done) -> None: ...
    def set_theme(self, mode: str) -> None: ...
    def set_notifications(self, desktop: bool, sound: bool) -> None: ...
    def set_notify_of(self, choice: str) -> None: ...
    def logout(self) -> None: ...


class SettingsDialog(Dialog):
    def __init__(
        self,
        root: tk.Misc,
        palette: Palette,
        actions: SettingsActions,
        *,
        display_name: str,
        color: str,
        account: str,
        theme: str,
        notifications: bool,
        sound: bool,
        notify_of: str = EVERY,
    ) -> None:
        super().__init__(root, "Settings", palette)
        self.actions = actions
        self.error.pack_forget()
        head = ttk.Frame(self.body)
        head.pack(fill="x", pady=(0, 12))
        ttk.Label(head, text="Settings", font=("TkDefaultFont", 15, "bold")).pack(anchor="w")
        self.account = ttk.Label(head, text=account, foreground=palette.muted)
        self.account.pack(anchor="w")
        columns = ttk.Frame(self.body)
        columns.pack(fill="both", expand=True)
        body = ttk.Frame(columns)
        body.grid(row=0, column=0, sticky="nsew", padx=(0, 28))
        right = ttk.Frame(columns)
        right.grid(row=0, column=1, sticky="nsew")
        self._section(body, "Profile")
        self.name = self.field("Display name", display_name, parent=body)
        ttk.Label(body, text="Colour", font=("TkDefaultFont", 10, "bold")).pack(anchor="w")
        self.color = tk.StringVar(value=color)
        row = ttk.Frame(body)
        row.pack(fill="x", pady=(4, 6))
        # Each swatch is an image, not a coloured Tk label: a theme switch repaints the
        # backgrounds of plain Tk widgets, which would blank the swatches. They take
        # the keyboard focus (Tab), and Space or Enter picks one.
        self.swatches: list[ttk.Label] = []
        self._chips: dict[str, ImageTk.PhotoImage] = {}
        for swatch in SWATCHES:
            chip = ttk.Label(row, cursor="hand2", takefocus=1)
            chip.pack(side="left", padx=(0, 3))
            for key in ("<Button-1>", "<space>", "<Return>"):
                chip.bind(key, self._picker(swatch))
            chip.bind("<FocusIn>", lambda _e: self._preview(), add="+")
            chip.bind("<FocusOut>", lambda _e: self._preview(), add="+")
            self.swatches.append(chip)
        boot.button(row, "More…", self.choose, "secondary-link").pack(side="left")
        preview_row = ttk.Frame(body)
        preview_row.pack(fill="x", pady=(2, 6))
        ttk.Label(preview_row, text="Preview:").pack(side="left")
        self.preview = ttk.Label(preview_row, text="", font=("TkDefaultFont", 11, "bold"))
        self.preview.pack(side="left", padx=(6, 0))
        self.profile_note = self._note(body)
        boot.button(body, "Save profile", self.save_profile).pack(anchor="w", pady=(0, 4))
        self.name.trace_add("write", lambda *_a: self._preview())
        self._preview()

        self._section(right, "Password")
        self.old = self._secret(right, "Current password")
        self.new = self._secret(right, "New password (8 characters or more)")
        self.again = self._secret(right, "New password again")
        self.password_note = self._note(right)
        boot.button(right, "Change password", self.change_password, "secondary").pack(
            anchor="w", pady=(0, 4)
        )

        self._section(body, "Appearance and notifications")
        self.theme = tk.StringVar(value=theme)
        row = ttk.Frame(body)
        row.pack(fill="x", pady=(2, 4))
        ttk.Label(row, text="Theme:").pack(side="left", padx=(0, 8))
        self.radios: list[ttk.Radiobutton] = []
        for title, mode in (("Light", LIGHT), ("Dark", DARK)):
            radio = boot.radio(row, f" {title}", mode, self.theme, self._theme)
            radio.pack(side="left", padx=(0, 12))
            self.radios.append(radio)
        ttk.Label(body, text="Notify me of:").pack(anchor="w", pady=(6, 2))
        self.notify_of = tk.StringVar(value=notify_of)
        self.notify_choices: dict[str, ttk.Radiobutton] = {}
        for text, choice in (
            ("Every message", EVERY),
            ("Direct messages and @mentions", MENTIONS),
        ):
            radio = boot.radio(body, f" {text}", choice, self.notify_of, self._notify_of)
            radio.pack(anchor="w", padx=(12, 0), pady=(1, 6 if choice == MENTIONS else 1))
            self.notify_choices[choice] = radio
            self.radios.append(radio)
        self.toggles: list[ttk.Checkbutton] = []
        self.notify = tk.BooleanVar(value=notifications)
        self.sound = tk.BooleanVar(value=sound)
        for text, var in (
            ("Desktop notifications for messages out of view", self.notify),
            ("Ring the bell when notified", self.sound),
        ):
            toggle = boot.toggle(body, text, var, self._notifications)
            toggle.pack(anchor="w", pady=3)
            self.toggles.append(toggle)

        self.logout_button = boot.button(self.buttons, "Log out", self.logout, "danger-outline")
        self.logout_button.pack(side="left")
        self.button("Close", self.close)

    # -- building --------------------------------------------------------------------------
    def _section(self, parent: ttk.Frame, title: str) -> None:
        first = not parent.winfo_children()
        label = ttk.Label(parent, text=title.upper(), font=("TkDefaultFont", 9, "bold"))
        label.configure(foreground=self.palette.muted)
        label.pack(anchor="w", pady=(0 if first else 14, 4))
        ttk.Separator(parent).pack(fill="x", pady=(0, 8))

    def _secret(self, parent: ttk.Frame, label: str) -> tk.StringVar:
        ttk.Label(parent, text=label).pack(anchor="w")
        var = tk.StringVar()
        ttk.Entry(parent, textvariable=var, show="•", width=30).pack(fill="x", pady=(2, 8))
        return var

    def _note(self, parent: ttk.Frame) -> ttk.Label:
        note = ttk.Label(parent, text="", wraplength=360)
        note.pack(anchor="w")
        return note

    def _say(self, note: ttk.Label, text: str, ok: bool) -> None:
        if note.winfo_exists():
            note.configure(
                text=text, foreground=self.palette.success if ok else self.palette.danger
            )

    # -- profile ---------------------------------------------------------------------------
    def _picker(self, color: str) -> Callable[[object], None]:
        return lambda _event: self.pick(color)

    def pick(self, color: str) -> None:
        self.color.set(color.lower())
        self._preview()

    def choose(self) -> None:
        _rgb, chosen = colorchooser.askcolor(self.color.get(), parent=self.top, title="Colour")
        if chosen:
            self.pick(str(chosen))

    def _preview(self) -> None:
        color = self.color.get()
        shown = readable(color, self.palette.bg) if HEX.match(color) else self.palette.fg
        self.preview.configure(text=self.name.get().strip() or "?", foreground=shown)
        focus = self.top.focus_get() if self.top.winfo_exists() else None
        for label, swatch in zip(self.swatches, SWATCHES, strict=True):
            ring = swatch == color.lower()
            key = f"{swatch}:{ring}:{label is focus}:{self.palette.mode}"
            if key not in self._chips:
                self._chips[key] = swatch_image(
                    swatch,
                    self.palette.fg if ring else None,
                    self.palette.accent if label is focus else None,
                )
            label.configure(image=self._chips[key])

    def save_profile(self) -> None:
        self.profile_note.configure(text="Saving…", foreground=self.palette.muted)
        self.actions.save_profile(
            self.name.get(),
            self.color.get(),
            lambda error: self._say(self.profile_note, error or "Saved.", error is None),
        )

    # -- password --------------------------------------------------------------------------
    def change_password(self) -> None:
        old, new, again = self.old.get(), self.new.get(), self.again.get()
        if not old or not new:
            return self._say(self.password_note, "Fill in your current and new password.", False)
        if new != again:
            return self._say(self.password_note, "The two new passwords differ.", False)

        def done(error: str | None) -> None:
            if error is None:
                for var in (self.old, self.new, self.again):
                    var.set("")
            text = error or "Password changed. Your other devices were logged out."
            self._say(self.password_note, text, error is None)

        self.password_note.configure(text="Changing…", foreground=self.palette.muted)
        self.actions.change_password(old, new, done)

    # -- the rest --------------------------------------------------------------------------
    def _theme(self) -> None:
        self.actions.set_theme(self.theme.get())

    def _notifications(self) -> None:
        self.actions.set_notifications(self.notify.get(), self.sound.get())

    def _notify_of(self) -> None:
        self.actions.set_notify_of(self.notify_of.get())

    def logout(self) -> None:
        self.close()
        self.actions.logout()

    def restyle(self, palette: Palette) -> None:
        self.palette = palette
        for radio in self.radios:
            boot.restyle(radio, "primary")
        for toggle in self.toggles:
            boot.restyle(toggle, "round-toggle")
        self.account.configure(foreground=palette.muted)
        self._preview()


def swatch_image(
    color: str, ring: str | None, focus: str | None, size: int = 24
) -> ImageTk.PhotoImage:
    """A rounded square of `color`; chosen, a ring of `ring` around it; with the
    keyboard focus, a line of `focus` under it."""
    scale = 4
    s = size * scale
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    if ring:
        draw.rounded_rectangle(
            (0, 0, s - 1, s - 1), radius=6 * scale, outline=ring, width=2 * scale
        )
    inset = 4 * scale
    draw.rounded_rectangle((inset, inset, s - inset, s - inset), radius=4 * scale, fill=color)
    if focus:
        draw.line((inset, s - scale, s - inset, s - scale), fill=focus, width=2 * scale)
    return ImageTk.PhotoImage(img.resize((size, size), Image.Resampling.LANCZOS))
