"""The decoder against fuzzed frames: whatever comes in, `decode_request` gives a request
(that survives a round trip) or a ProtocolError with a sendable error, never anything
else. At least 100,000 frames per run (a million with CHINWAG_RELIABILITY=large)."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chinwag.protocol.codec import ProtocolError
from tests.reliability.conftest import Record
from tests.reliability.figures import scale
from tests.reliability.frames import base_frames, mutants, refusal_or_request

pytestmark = pytest.mark.reliability

FRAMES = scale(100_000, 1_000_000)
#: Mutants made from each drawn frame: hypothesis draws FRAMES / PER_EXAMPLE examples.
PER_EXAMPLE = 100
EXAMPLES = FRAMES // PER_EXAMPLE

COUNTS = {"frames": 0, "requests": 0, "refused": 0}


@settings(
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
@given(base_frames(), st.integers(min_value=0, max_value=2**32))
def _fuzz(base: bytes, seed: int) -> None:
    for frame in mutants(base, seed, PER_EXAMPLE):
        outcome = refusal_or_request(frame)
        COUNTS["frames"] += 1
        COUNTS["refused" if isinstance(outcome, ProtocolError) else "requests"] += 1


@pytest.mark.timeout(scale(120, 1200))
def test_the_decoder_takes_any_frame(figure: Record) -> None:
    started = time.monotonic()
    crashed = 0
    try:
        _fuzz()
    except BaseException:
        crashed = 1  # hypothesis has shrunk it to one frame: the failure says which
        raise
    finally:
        figure(
            "fuzz",
            "decoder (pure)",
            frames=COUNTS["frames"],
            decoded=COUNTS["requests"],
            refused=COUNTS["refused"],
            crashes=crashed,
            seconds=round(time.monotonic() - started, 1),
        )
    # hypothesis may stop short of max_examples only if it ran out of inputs
    assert COUNTS["frames"] >= FRAMES * 0.95, COUNTS
    assert COUNTS["requests"] > 0 and COUNTS["refused"] > 0
