"""The web client's files: attach, upload with progress and cancel, send, and the
attachments another member sees (a thumbnail, the full-size image, a download)."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image

from tests.web.support import ChatPage, WebServer
from tests.web.test_axe import check

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page, Route

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

NOTES = b"minutes of the LAN party\nbring cables\n" * 20


def png(width: int, height: int) -> bytes:
    """A real PNG: a gradient, so that it is not mistaken for a blank image."""
    image = Image.new("RGB", (width, height))
    image.putdata(
        [(x * 255 // width, y * 255 // height, 128) for y in range(height) for x in range(width)]
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def payload(name: str, mime: str, data: bytes) -> dict[str, Any]:
    return {"name": name, "mimeType": mime, "buffer": data}


async def attach(page: Page, *files: dict[str, Any]) -> None:
    await page.locator("#attach-input").set_input_files(list(files))


async def throttle(page: Page, bytes_per_second: int) -> None:
    """Slow this page's uploads, as a slow link would (Chromium's network emulation)."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )


async def stored_files(web: WebServer) -> int:
    """The files the server keeps, counted on its disk."""
    root = web.data_dir / "files"
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


async def test_image_and_file_sent_seen_and_downloaded(
    browser: Browser, web: WebServer, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    ada = await ChatPage.open(browser, web, bypass_csp=True)
    await ada.register("ada")
    bob = await ChatPage.open(browser, web, bypass_csp=True)
    await bob.register("bob")
    image = png(800, 600)
    # bob's thumbnails are held back until the layout has been measured.
    release = asyncio.Event()

    async def hold(route: Route) -> None:
        await release.wait()
        await route.continue_()

    await bob.page.route("**/api/files/*.t320", hold)

    await attach(
        ada.page,
        payload("harbour.png", "image/png", image),
        payload("notes.txt", "text/plain", NOTES),
    )
    uploads = ada.page.get_by_role("list", name="Files for the next message")
    await expect(uploads.locator(".upload.done")).to_have_count(2)
    assert await stored_files(web) >= 2  # where the cancel test looks for leftovers
    await expect(uploads).to_contain_text("harbour.png")
    await expect(uploads).to_contain_text("760 bytes")
    await check(ada.page, "the composer with two uploads")
    await ada.send("from Saturday")
    await expect(uploads).to_be_hidden()

    # bob sees the thumbnail laid out at the Attachment's size, filled by a blob: URL.
    thumb = bob.page.get_by_role("button", name=re.compile(r"^Open harbour\.png \(800 \u00d7 600"))
    await expect(thumb).to_be_visible()
    img = thumb.locator("img")
    await expect(img).to_have_attribute("width", "320")
    await expect(img).to_have_attribute("height", "240")
    # Laid out before a byte of it arrives: no jump when it does.
    before = await thumb.bounding_box()
    assert before is not None and round(before["width"]) in (320, 322), before
    assert await img.get_attribute("src") is None
    release.set()
    await expect(img).to_have_attribute("src", re.compile(r"^blob:"))
    await bob.wait_until(
        "() => { const i = document.querySelector('.thumb img'); "
        "return i && i.complete && i.naturalWidth === 320; }"
    )
    assert await thumb.bounding_box() == before
    await expect(bob.message("from Saturday")).to_be_visible()
    await check(bob.page, "the timeline with an image and a file")

    # Full size in a dialog (a PNG of 800 pixels has no preview: the file itself).
    await thumb.click()
    dialog = bob.page.get_by_role("dialog", name="harbour.png")
    await expect(dialog).to_be_visible()
    await bob.wait_until(
        "() => { const i = document.querySelector('dialog .viewer-img'); "
        "return i && i.complete && i.naturalWidth === 800; }"
    )
    await check(bob.page, "the image dialog", "dialog.modal")
    await dialog.get_by_role("button", name="Close").click()
    await expect(dialog).to_be_hidden()
    await expect(thumb).to_be_focused()

    # The other file: a download link with its name and size, fetched with the token.
    link = bob.page.get_by_role("button", name="Download notes.txt, 760 bytes")
    await expect(link).to_be_visible()
    async with bob.page.expect_download() as info:
        await link.click()
    download = await info.value
    assert download.suggested_filename == "notes.txt"
    target = tmp_path / "saved.txt"
    await download.save_as(target)
    assert target.read_bytes() == NOTES

    await ada.close()
    await bob.close()


async def test_image_pasted_and_dropped(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    data = list(png(40, 30))
    # A paste of an image (browsers name it "image.png") into the message box...
    await ada.composer.evaluate(
        """(el, bytes) => {
            const dt = new DataTransfer();
            dt.items.add(new File([new Uint8Array(bytes)], "image.png", { type: "image/png" }));
            el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true,
                cancelable: true }));
        }""",
        data,
    )
    # ...and a file dropped on the timeline.
    await ada.page.locator(".timeline-wrap").evaluate(
        """(el) => {
            const dt = new DataTransfer();
            dt.items.add(new File(["dropped text"], "drop.txt", { type: "text/plain" }));
            for (const type of ["dragover", "drop"])
                el.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true,
                    cancelable: true }));
        }"""
    )
    uploads = ada.page.locator("#uploads .upload.done")
    await expect(uploads).to_have_count(2)
    await expect(uploads.first).to_contain_text(re.compile(r"^pasted-.*\.png"))
    await expect(uploads.nth(1)).to_contain_text("drop.txt")
    await ada.composer.press("Enter")
    await expect(ada.page.locator("#messages .thumb img")).to_have_attribute("width", "40")
    await expect(ada.page.get_by_role("button", name="Download drop.txt, 12 bytes")).to_be_visible()
    await ada.close()


async def test_cancel_stops_an_upload(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    await throttle(ada.page, 64 * 1024)
    failed: list[str] = []
    ada.page.on(
        "requestfailed",
        lambda r: failed.append(f"{r.url} {r.failure}") if "/api/files" in r.url else None,
    )
    await attach(ada.page, payload("big.bin", "application/octet-stream", b"\x01" * 3_000_000))
    progress = ada.page.get_by_role("progressbar", name="Uploading big.bin")
    await expect(progress).to_be_visible()
    moved = await ada.wait_until(
        "() => { const p = document.querySelector('#uploads progress'); "
        "return p && p.value > 0 && p.value; }"
    )
    print(f"\nbytes sent before cancel: {moved} of 3000000")
    assert 0 < moved < 3_000_000
    # A message sent meanwhile waits for its file...
    await ada.send("no file")
    await expect(ada.page.locator("#composer-hint")).to_have_text(
        "The message goes once its files are uploaded."
    )
    await expect(ada.message("no file")).to_have_count(0)
    # ...which is cancelled: the message goes without it.
    await ada.page.get_by_role("button", name="Cancel the upload of big.bin").click()
    await expect(ada.page.locator("#uploads")).to_be_hidden()
    await expect(ada.composer).to_be_focused()
    for _ in range(100):
        if failed:
            break
        await asyncio.sleep(0.05)
    assert len(failed) == 1 and "ERR_ABORTED" in failed[0], failed
    # Nothing is kept of it, and a message sent now carries no file.
    assert await stored_files(web) == 0
    await expect(ada.message("no file")).to_be_visible()
    await expect(ada.page.locator("#messages .attachments")).to_have_count(0)
    await ada.close()


async def test_errors_shown_plainly(browser: Browser, tmp_path: Path) -> None:
    from playwright.async_api import expect

    web = WebServer(tmp_path, max_upload=4000, upload_quota=5000)
    await web.start()
    try:
        ada = await ChatPage.open(browser, web, bypass_csp=True)
        await ada.register("ada")
        # Over max_upload: said before a byte is sent.
        await attach(ada.page, payload("huge.txt", "text/plain", b"x" * 6000))
        alert = ada.page.locator("#uploads .upload-error")
        await expect(alert).to_have_text("huge.txt is too large: a file may have at most 4.0 kB.")
        await expect(alert).to_have_attribute("role", "alert")
        await check(ada.page, "an upload refused")
        await ada.page.get_by_role("button", name="Remove huge.txt").click()

        # Over the day's quota: the server refuses, and its reason is shown.
        await attach(ada.page, payload("one.txt", "text/plain", b"1" * 3000))
        await expect(ada.page.locator("#uploads .upload.done")).to_have_count(1)
        await attach(ada.page, payload("two.txt", "text/plain", b"2" * 3000))
        await expect(alert).to_contain_text(re.compile(r"^[A-Z].*(quota|upload)", re.I))
        text = await alert.text_content()
        print(f"\nquota refusal shown: {text!r}")
        assert text and "HTTP" not in text

        # A message waits for the files that are fine; the failed one is not sent.
        await ada.page.get_by_role("button", name="Remove two.txt").click()
        await ada.composer.press("Enter")
        sent = ada.page.get_by_role("button", name="Download one.txt, 3.0 kB")
        await expect(sent).to_be_visible()
        # The browser logs the refused request itself.
        ada.errors = [e for e in ada.errors if "status of 429" not in e]
        await ada.close()
    finally:
        await web.stop()
