"""The `chinwag desktop` command line (no Tk imported until the command runs)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any


def configure(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("desktop", help="open the desktop client")
    p.add_argument(
        "--server",
        help="server address: localhost:8080, wss://chat.example, ... (default: the last one)",
    )
    p.add_argument("--theme", choices=["light", "dark"], help="colour theme (default: the last)")
    p.add_argument(
        "--config-dir", type=Path, help="where to remember settings and the session token"
    )
    p.add_argument(
        "--insecure",
        action="store_true",
        help="accept any TLS certificate (a server with a self-signed one)",
    )
    p.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING or ERROR")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=str(args.log_level).upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        import tkinter
    except ImportError:
        print("chinwag desktop needs Tk: install python3-tk (or your system's Tk)", file=sys.stderr)
        return 1
    from chinwag.desktop.app import DesktopApp
    from chinwag.desktop.prefs import Prefs

    options: dict[str, Any] = {"ssl": False} if args.insecure else {}
    prefs = Prefs.load(args.config_dir)
    try:
        app = DesktopApp(prefs, server=args.server, theme=args.theme, client_options=options)
    except tkinter.TclError as exc:
        print(f"chinwag desktop: cannot open a window: {exc}", file=sys.stderr)
        return 1
    app.run()
    return 0
