"""Files over HTTP on one node (local file store): upload, attach, download, refuse."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import aiohttp
from PIL import Image

from tests.files.support import download, jpeg_with_exif, png, sha, upload
from tests.server.conftest import RunningServer, StartServer
from tests.server.support import register


async def test_round_trip_with_hash_check_and_dedup(server: RunningServer, tmp_path: Path) -> None:
    alice = await register(server.url, "alice")
    data = bytes(range(256)) * 4096  # 1 MiB
    _, first = await upload(server, alice.token, data, "a.bin")
    _, second = await upload(server, alice.token, data, "b.bin", multipart=False)
    assert first["id"] != second["id"]
    assert (first["name"], second["name"]) == ("a.bin", "b.bin")
    assert first["size"] == len(data) and first["content_type"] == "application/octet-stream"
    for file in (first, second):
        status, body, headers = await download(server, alice.token, file["id"])
        assert status == 200 and sha(body) == sha(data)
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert headers["Content-Disposition"].startswith("attachment;")
    stored = [p for p in (tmp_path / "files" / "blobs").rglob("*") if p.is_file()]
    assert [p.name for p in stored] == [sha(data)]  # the same bytes, stored once
    await alice.close()


async def test_only_the_uploader_and_members_of_rooms_it_was_sent_to_read_it(
    server: RunningServer,
) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    carol = await register(server.url, "carol")
    room = (await alice.ok("create_room", name="secret", private=True))["room"]["id"]
    await alice.ok("invite", room=room, user="bob")
    _, file = await upload(server, alice.token, png(), "cat.png")
    assert (await download(server, bob.token, file["id"]))[0] == 404  # not sent yet
    # Nobody else may send alice's upload.
    await bob.error(
        "send", "not_found", room=room, body="mine", client_msg_id="b1", attachments=[file["id"]]
    )
    sent = await alice.ok("send", room=room, body="", client_msg_id="a1", attachments=[file["id"]])
    (att,) = sent["message"]["attachments"]
    assert att == {
        "id": file["id"],
        "name": "cat.png",
        "size": file["size"],
        "content_type": "image/png",
        "width": 64,
        "height": 48,
        "thumbnail": file["id"] + ".t320",
        "preview": None,
    }
    assert (await download(server, bob.token, file["id"]))[0] == 200
    assert (await download(server, bob.token, att["thumbnail"]))[0] == 200
    for who in (carol.token, "not-a-token"):
        status, body, _ = await download(server, who, file["id"])
        assert status in (404, 401), body
    assert (await download(server, carol.token, file["id"]))[0] == 404
    assert (await download(server, None, file["id"]))[0] == 401
    # History and sync carry the attachments; a deletion takes them away.
    history = await bob.ok("history", room=room)
    assert history["messages"][-1]["attachments"] == [att]
    synced = await bob.ok("sync", since={room: 0}, changes={room: 0})
    assert [
        m.get("attachments") for m in synced["messages"] if m["seq"] == sent["message"]["seq"]
    ] == [[att]]
    await alice.ok("delete_message", room=room, seq=sent["message"]["seq"])
    assert (await download(server, bob.token, file["id"]))[0] == 404
    assert (await download(server, alice.token, file["id"]))[0] == 200  # still the uploader's
    history = await bob.ok("history", room=room)
    assert "attachments" not in history["messages"][-1]
    for client in (alice, bob, carol):
        await client.close()


async def test_dangerous_names_and_contents_are_served_safely(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    html = b"<!doctype html><script>alert(document.cookie)</script>"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    cases = {
        "../../../etc/passwd": (b"root:x:0:0\n", "passwd"),
        "..\\..\\boot.ini": (b"[boot]\n", "boot.ini"),
        "evil.png": (html, "evil.png"),
        "image.svg": (svg, "image.svg"),
    }
    for name, (data, shown) in cases.items():
        _, file = await upload(server, alice.token, data, name)
        assert file["name"] == shown
        status, body, headers = await download(server, alice.token, file["id"])
        assert status == 200 and body == data
        assert headers["Content-Type"] == "text/plain; charset=utf-8", name
        assert headers["Content-Disposition"].startswith("attachment;"), name
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    _, odd = await upload(server, alice.token, b"x", 'r\u00e9sum\u00e9 "q".txt')
    _, _, headers = await download(server, alice.token, odd["id"])
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"r_sum_ _q_.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22q%22.txt"
    )
    await alice.close()


async def test_corrupt_images_and_decompression_bombs_are_plain_files(
    server: RunningServer,
) -> None:
    alice = await register(server.url, "alice")
    noise = io.BytesIO()
    Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3)).save(noise, "PNG")
    corrupt = noise.getvalue()[: len(noise.getvalue()) // 2]  # cut off in the pixels
    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, "PNG")  # 400 megapixels in ~50 KB
    assert len(bomb.getvalue()) < 100_000
    for data in (corrupt, bomb.getvalue()):
        _, file = await upload(server, alice.token, data, "picture.png")
        assert file["content_type"] == "application/octet-stream"
        assert file["width"] is None and file["thumbnail"] is None
        _, _, headers = await download(server, alice.token, file["id"])
        assert headers["Content-Disposition"].startswith("attachment;")
        assert (await download(server, alice.token, file["id"] + ".t320"))[0] == 404
    await alice.close()


async def test_images_get_thumbnails_upright_and_without_their_location(
    server: RunningServer,
) -> None:
    alice = await register(server.url, "alice")
    _, file = await upload(server, alice.token, jpeg_with_exif(1600, 1000), "photo.jpg")
    assert (file["content_type"], file["width"], file["height"]) == ("image/jpeg", 1000, 1600)
    assert file["thumbnail"] == file["id"] + ".t320"
    assert file["preview"] == file["id"] + ".t1280"
    status, body, headers = await download(server, alice.token, file["id"])
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert headers["Content-Disposition"].startswith("inline;")
    with Image.open(io.BytesIO(body)) as served:
        assert served.size == (1000, 1600)
        exif = served.getexif()
        assert 0x8825 not in exif and exif.get(0x0112, 1) == 1
        assert exif.get(0x010F) == "Camera maker"  # the rest of the EXIF is kept
    for thumb, box in ((file["thumbnail"], 320), (file["preview"], 1280)):
        status, body, headers = await download(server, alice.token, thumb)
        assert status == 200 and headers["Content-Type"] == "image/webp"
        with Image.open(io.BytesIO(body)) as im:
            assert im.format == "WEBP" and max(im.size) == box and im.height > im.width
    await alice.close()


async def test_ranges_and_etags(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    data = bytes(range(256)) * 100
    _, file = await upload(server, alice.token, data)
    status, body, headers = await download(server, alice.token, file["id"], Range="bytes=10-19")
    assert status == 206 and body == data[10:20]
    assert headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    etag = headers["ETag"]
    status, body, _ = await download(server, alice.token, file["id"], **{"If-None-Match": etag})
    assert status == 304 and body == b""
    await alice.close()


async def test_limits_each_have_a_clear_error(start_server: StartServer) -> None:
    server = await start_server(max_upload=10_000, upload_quota=25_000, files_cap=0)
    alice = await register(server.url, "alice")
    _, body = await upload(server, alice.token, b"x" * 10_001, expect=413)
    assert body["code"] == "too_large" and "10000 bytes" in body["message"]
    await upload(server, alice.token, b"a" * 9_000)
    await upload(server, alice.token, b"b" * 9_000)
    _, body = await upload(server, alice.token, b"c" * 9_000, expect=429)
    assert body["code"] == "quota_exceeded"
    _, body = await upload(server, None, b"x", expect=401)
    assert body["code"] == "not_authenticated"
    _, body = await upload(server, alice.token, b"", expect=400)
    await alice.close()
    capped = await start_server(tmp_path_second(server), files_cap=5_000)
    bob = await register(capped.url, "bob")
    await upload(capped, bob.token, b"a" * 4_000)
    _, body = await upload(capped, bob.token, b"b" * 4_000, expect=507)
    assert body["code"] == "storage_full"
    await upload(capped, bob.token, b"a" * 4_000)  # the same bytes again take no room
    await bob.close()


def tmp_path_second(server: RunningServer) -> Path:
    path = server.ctx.config.data_dir / "second"
    path.mkdir()
    return path


async def test_a_message_carries_few_files_each_once(start_server: StartServer) -> None:
    server = await start_server(max_attachments=2)
    alice = await register(server.url, "alice")
    ids = [(await upload(server, alice.token, bytes([n]) * 10))[1]["id"] for n in range(3)]
    await alice.error(
        "send", "invalid", room="general", body="x", client_msg_id="1", attachments=ids
    )
    await alice.error(
        "send", "invalid", room="general", body="x", client_msg_id="2", attachments=[ids[0], ids[0]]
    )
    await alice.error(
        "send",
        "not_found",
        room="general",
        body="x",
        client_msg_id="3",
        attachments=["aaaaaaaaaaaaaaaaaaaa"],
    )
    sent = await alice.ok(
        "send", room="general", body="two", client_msg_id="4", attachments=ids[:2]
    )
    again = await alice.ok(
        "send", room="general", body="two", client_msg_id="4", attachments=ids[:2]
    )
    assert again["message"] == sent["message"]
    assert [a["id"] for a in sent["message"]["attachments"]] == ids[:2]
    edited = await alice.ok(
        "edit_message", room="general", seq=sent["message"]["seq"], body="still two"
    )
    assert edited["message"]["attachments"] == sent["message"]["attachments"]
    assert json.dumps(edited["message"]["attachments"])
    await alice.close()


async def test_files_origin_serves_files_alone(start_server: StartServer) -> None:
    server = await start_server(files_origin="http://files.test")
    alice = await register(server.url, "alice")
    _, file = await upload(server, alice.token, b"hello")
    status, body, _ = await download(server, alice.token, file["id"])
    assert status == 421 and b"http://files.test" in body
    status, body, _ = await download(server, alice.token, file["id"], Host="files.test")
    assert status == 200 and body == b"hello"

    async with (
        aiohttp.ClientSession() as http,
        http.get(server.http("/"), headers={"Host": "files.test"}) as reply,
    ):
        assert reply.status == 404
    async with aiohttp.ClientSession() as http, http.get(server.http("/api/files/limits")) as r:
        assert (await r.json())["files_origin"] == "http://files.test"
    await alice.close()


async def test_a_multipart_body_without_a_file_is_refused(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    form = aiohttp.FormData(default_to_multipart=True)
    for n in range(9):
        form.add_field(f"field{n}", "value")
    headers = {"Authorization": f"Bearer {alice.token}"}
    url = server.http("/api/files")
    async with aiohttp.ClientSession() as http, http.post(url, data=form, headers=headers) as r:
        assert r.status == 400
        assert (await r.json())["code"] == "bad_request"
    await alice.close()


async def test_the_upload_as_sent_is_kept_only_if_the_operator_asks(
    start_server: StartServer, tmp_path: Path
) -> None:
    photo = jpeg_with_exif()
    for keep in (False, True):
        data_dir = tmp_path / f"keep-{keep}"
        data_dir.mkdir()
        server = await start_server(data_dir, keep_originals=keep)
        alice = await register(server.url, "alice")
        _, file = await upload(server, alice.token, photo, "photo.jpg")
        originals = [p.name for p in (data_dir / "files").rglob("originals/*/*")]
        assert originals == ([sha(photo)] if keep else [])
        _, served, _ = await download(server, alice.token, file["id"])
        assert sha(served) != sha(photo)  # what is served is the cleaned copy
        await alice.close()
