"""Screenshots of the web client's files for the README: a thumbnail and a file in the
timeline (docs/img/web-files.png) and an upload in progress (docs/img/web-upload.png).

    .venv/bin/python -m tests.web.screenshots_files [--out docs/img]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import math
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.async_api import async_playwright

from tests.web.support import CHROMIUM, CHROMIUM_ARGS, ChatPage, WebServer
from tests.web.test_files import attach, payload, throttle


def harbour() -> bytes:
    """A small drawn picture: dusk over a harbour (a JPEG, as a camera would send)."""
    w, h = 1600, 1066
    image = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(image)
    for y in range(h):
        t = y / h
        if t < 0.62:
            c = (int(40 + 200 * t), int(50 + 120 * t), int(110 + 60 * t))
        else:
            c = (int(30 + 40 * (1 - t)), int(60 + 50 * (1 - t)), int(100 + 40 * (1 - t)))
        draw.line([(0, y), (w, y)], fill=c)
    draw.ellipse([1040, 420, 1240, 620], fill=(255, 196, 120))
    for i in range(9):
        x = 120 + i * 160
        top = 560 + int(30 * math.sin(i))
        draw.polygon([(x, top), (x + 90, 650), (x - 20, 650)], fill=(230, 230, 235))
        draw.rectangle([x - 40, 650, x + 110, 680], fill=(70, 50, 45))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


async def take(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        web = WebServer(Path(tmp))
        await web.start()
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                ada = await ChatPage.open(browser, web)
                await ada.register("ada")
                bob = await ChatPage.open(browser, web)
                await bob.register("bob")
                await bob.send("Did anyone take pictures on Saturday?")
                await attach(
                    ada.page,
                    payload("harbour-at-dusk.jpg", "image/jpeg", harbour()),
                    payload("lan-party-minutes.pdf", "application/pdf", b"%PDF-1.4\n" * 9000),
                )
                await ada.page.locator("#uploads .upload.done").nth(1).wait_for()
                await ada.send("Just this one, and the minutes")
                thumb = bob.page.locator(".thumb img")
                await bob.wait_until(
                    "() => { const i = document.querySelector('.thumb img');"
                    " return i && i.complete && i.naturalWidth > 0; }"
                )
                await thumb.wait_for()
                await bob.send("Lovely light!")
                await bob.page.locator("#messages .msg-body", has_text="Lovely light").wait_for()
                await bob.page.mouse.move(0, 0)
                await bob.page.screenshot(path=out / "web-files.png")

                await throttle(ada.page, 400 * 1024)
                await attach(
                    ada.page,
                    payload("saturday-video.mp4", "video/mp4", b"\x00" * 12_000_000),
                )
                await ada.wait_until(
                    "() => { const p = document.querySelector('#uploads progress');"
                    " return p && p.value > p.max * 0.3; }",
                    timeout=60,
                )
                await ada.composer.fill("And the video, for those who missed it")
                await ada.page.mouse.move(0, 0)
                await ada.page.screenshot(path=out / "web-upload.png")
                cancel = "Cancel the upload of saturday-video.mp4"
                await ada.page.get_by_role("button", name=cancel).click()
                await ada.close(check=False)
                await bob.close(check=False)
                await browser.close()
        finally:
            await web.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(take(args.out))


if __name__ == "__main__":
    main()
