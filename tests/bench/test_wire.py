"""The generator's lean WebSocket framing."""

from __future__ import annotations

from chinwag.bench.wire import (
    OP_PING,
    OP_TEXT,
    client_frame,
    next_frame,
    server_frame,
    split_frames,
)


def test_server_frames_of_every_header_size_split_back() -> None:
    payloads = [b"", b"x" * 125, b"y" * 126, b"z" * 65535, b"w" * 65536, b'{"type":"hello"}']
    stream = b"".join(server_frame(p) for p in payloads) + server_frame(b"hb", OP_PING)
    frames, rest = split_frames(stream)
    assert frames == [(OP_TEXT, p) for p in payloads] + [(OP_PING, b"hb")]
    assert rest == b""


def test_a_partial_frame_waits_for_the_rest() -> None:
    whole = server_frame(b"a" * 300)
    for cut in range(len(whole)):
        assert next_frame(whole[:cut], 0) is None
        frames, rest = split_frames(whole[:cut])
        assert frames == [] and rest == whole[:cut]
    assert next_frame(whole, 0) == (OP_TEXT, 4, 304)


def test_client_frames_are_masked_with_the_zero_key() -> None:
    frame = client_frame(b"hello")
    assert frame[0] == 0x81 and frame[1] == 0x80 | 5
    assert frame[2:6] == b"\0\0\0\0" and frame[6:] == b"hello"
    long = client_frame(b"q" * 70000)
    assert long[1] == 0x80 | 127 and int.from_bytes(long[2:10], "big") == 70000
