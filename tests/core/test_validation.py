"""Validation and normalisation of what users type: names, passwords, colours, bodies."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chinwag.core.errors import ChatError
from chinwag.core.validation import (
    BLANK_LOOKING,
    DISPLAY_NAME_MAX,
    GENERAL,
    LOOKALIKES,
    NONCHARACTERS,
    PALETTE,
    PASSWORD_MAX,
    PASSWORD_MIN,
    PRIVATE_ROOM_PREFIX,
    REASON_MAX,
    ROOM_NAME_MAX,
    TOPIC_MAX,
    canonical,
    check_body,
    check_color,
    check_display_name,
    check_password,
    check_reason,
    check_room_name,
    check_topic,
    check_username,
    default_color,
    dm_room_id,
    is_dm_room_id,
    is_visible,
    name_key,
    private_room_id,
    room_slug,
)
from chinwag.protocol.errors import ErrorCode

USERNAMES = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}\Z")
ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=100)


def refused(call: object, *args: object) -> str:
    """Call and expect an `invalid` ChatError; return its message."""
    assert callable(call)
    with pytest.raises(ChatError) as caught:
        call(*args)
    assert caught.value.code == ErrorCode.INVALID
    return caught.value.message


# -- usernames --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["a", "Ada", "ada_lovelace", "ada.l", "ada-l", "A1", "0", "a_", "x" * 32, "MiXeD.Case-9_"],
)
def test_usernames_allowed(name: str) -> None:
    assert check_username(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "x" * 33, "ada lovelace", " ada", "ada ", "adé", "ада", "ada!", "a@b", "a:b", "a/b",
     "a\nb", "a\tb", "ada\x00", "ada\n", "\uff11\uff12\uff13", "\uff41da", "\U0001f600",
     "a+b", "a,b", "_", ".", "-", "_ada", ".ada", "-ada"],
)  # fmt: skip
def test_usernames_refused(name: str) -> None:
    assert "1 to 32" in refused(check_username, name)


@settings(max_examples=100)
@given(st.text(max_size=40))
def test_username_rule_is_the_ascii_set_and_length(name: str) -> None:
    allowed = (
        1 <= len(name) <= 32
        and name[0].isascii()
        and name[0].isalnum()
        and all(c.isascii() and (c.isalnum() or c in "_.-") for c in name)
    )
    if allowed:
        assert check_username(name) == name
    else:
        refused(check_username, name)


def test_canonical_is_case_insensitive_key() -> None:
    assert canonical("Ada") == canonical("ADA") == canonical("ada") == "ada"
    assert canonical("a.B-c_D") == "a.b-c_d"


# -- passwords --------------------------------------------------------------------------


def test_password_lengths() -> None:
    assert (PASSWORD_MIN, PASSWORD_MAX) == (8, 256)
    assert check_password("x" * 8) == "x" * 8
    assert check_password("x" * 256) == "x" * 256
    assert "at least 8" in refused(check_password, "x" * 7)
    assert "at least 8" in refused(check_password, "")
    assert "at most 256" in refused(check_password, "x" * 257)


def test_passwords_are_kept_exactly_and_counted_in_characters() -> None:
    odd = "  pa ss\tword\n  "
    assert check_password(odd) == odd
    assert check_password("\U0001f600" * 8) == "\U0001f600" * 8  # 8 characters, 32 bytes
    refused(check_password, "\U0001f600" * 7)


# -- one-line texts: display names, room names, topics, reasons -------------------------

ONE_LINERS = [
    (check_display_name, DISPLAY_NAME_MAX, False),
    (check_room_name, ROOM_NAME_MAX, False),
    (check_topic, TOPIC_MAX, True),
    (check_reason, REASON_MAX, True),
]


def test_limits() -> None:
    assert (DISPLAY_NAME_MAX, ROOM_NAME_MAX, TOPIC_MAX, REASON_MAX) == (64, 48, 300, 300)


@pytest.mark.parametrize(("check", "maximum", "may_be_empty"), ONE_LINERS)
def test_one_line_normalisation(check: object, maximum: int, may_be_empty: bool) -> None:
    assert callable(check)
    assert check("  Ada   Lovelace  ") == "Ada Lovelace"
    assert check("Ada\nLovelace") == "Ada Lovelace"
    assert check("Ada\r\nLovelace") == "Ada Lovelace"
    assert check("Ada\rLovelace") == "Ada Lovelace"
    assert check("Ada\tLovelace") == "Ada Lovelace"
    assert check("Ada\u2028Lovelace\u0085x") == "Ada Lovelace x"
    assert check("A\x00d\x07a\x1b[31m") == "Ada[31m"
    assert check("Ada \x00 Lovelace") == "Ada Lovelace"
    assert check("Ada \U0001f600 Ω") == "Ada \U0001f600 Ω"
    assert check("x" * maximum) == "x" * maximum
    assert check(" " + "x" * maximum + "\n") == "x" * maximum
    assert f"at most {maximum}" in refused(check, "x" * (maximum + 1))
    assert check("\U0001f600" * maximum) == "\U0001f600" * maximum  # code points
    refused(check, "\U0001f600" * (maximum + 1))
    for blank in ("", "   ", "\n\t\r", "\x00\x01"):
        if may_be_empty:
            assert check(blank) == ""
        else:
            assert "cannot be empty" in refused(check, blank)


@settings(max_examples=150)
@given(ANY_TEXT)
def test_one_line_results_have_no_controls_and_no_line_breaks(text: str) -> None:
    try:
        cleaned = check_topic(text)
    except ChatError:
        return
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned
    for ch in cleaned:
        assert unicodedata.category(ch) not in ("Cc", "Cs")
        assert not ch.isspace() or ch == " "
    assert check_topic(cleaned) == cleaned  # idempotent


# -- colours ----------------------------------------------------------------------------


def test_colours() -> None:
    assert check_color("#1d9bf0") == "#1d9bf0"
    assert check_color("#1D9BF0") == "#1d9bf0"
    for bad in ("1d9bf0", "#1d9bf", "#1d9bf00", "#ggggggg", "#12345g", "red", "", " #1d9bf0"):
        assert "#rrggbb" in refused(check_color, bad)


def test_default_colours_come_from_the_palette_whatever_the_case() -> None:
    for name in ("ada", "bob", "carol", "x", "Zed"):
        assert default_color(name) in PALETTE
        assert default_color(name) == default_color(name.upper())
    assert all(check_color(c) == c for c in PALETTE)
    assert len({default_color(f"user{i}") for i in range(100)}) > 1


# -- message bodies ---------------------------------------------------------------------


def test_body_normalisation() -> None:
    assert check_body("hello", 10) == "hello"
    assert check_body("  hello \n", 10) == "hello"
    assert check_body("a\r\nb\rc\nd", 10) == "a\nb\nc\nd"
    assert check_body("col1\tcol2", 20) == "col1\tcol2"
    assert check_body("a\x00b\x07c\x1b[0m\x7fd\x85e", 20) == "abc[0mde"
    assert check_body("line 1\n\n\nline 4", 20) == "line 1\n\n\nline 4"
    assert check_body("\n\n  indented\n\n", 20) == "indented"


@pytest.mark.parametrize("blank", ["", " ", "\n\r\n\t", "\x00\x01\x02", " \x00 \n", "\u3000"])
def test_empty_bodies_are_refused(blank: str) -> None:
    assert "empty" in refused(check_body, blank, 100)


def test_body_length_counts_code_points() -> None:
    assert check_body("x" * 4000, 4000) == "x" * 4000
    assert "at most 4000" in refused(check_body, "x" * 4001, 4000)
    emoji = "\U0001f600"  # one code point, four bytes of UTF-8
    assert check_body(emoji * 5, 5) == emoji * 5
    assert "this one has 6" in refused(check_body, emoji * 6, 5)
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one glyph, five code points
    assert check_body(family, 5) == family
    refused(check_body, family, 4)
    accented = "e\u0301"  # é as two code points: counted as two, kept as sent
    assert check_body(accented, 2) == accented
    refused(check_body, accented, 1)
    assert check_body("中文" * 3, 6) == "中文" * 3


@pytest.mark.parametrize("ghost", ["\u200b", "\u202e", "\xad\u200b", "\u0301", "\u3000"])
def test_invisible_bodies_are_empty(ghost: str) -> None:
    assert "empty" in refused(check_body, ghost, 100)


def test_format_characters_are_dropped_from_names_but_zwj() -> None:
    assert check_display_name("Ad\u200ba\u202e") == "Ada"
    family = "\U0001f468\u200d\U0001f469"
    assert check_display_name(f"{family} fam") == f"{family} fam"
    assert "empty" in refused(check_display_name, "\u200b\u200b")


def test_body_limit_applies_after_cleaning() -> None:
    assert check_body("  " + "x" * 5 + "\x00\x00  ", 5) == "x" * 5


@settings(max_examples=200)
@given(ANY_TEXT)
def test_bodies_keep_only_newlines_and_tabs_of_the_controls(text: str) -> None:
    try:
        cleaned = check_body(text, 1000)
    except ChatError:
        # refused only when nothing visible is left: blanks, controls, format characters
        # (zero-width space, soft hyphen, bidi marks), lone combining marks, private-use,
        # unassigned and non-characters, blank-looking letters
        invisible = ("Cc", "Cs", "Cf", "Mn", "Me", "Zs", "Zl", "Zp", "Co", "Cn")
        assert all(
            c.isspace() or c in BLANK_LOOKING or unicodedata.category(c) in invisible for c in text
        )
        return
    assert cleaned and cleaned == cleaned.strip()
    assert "\r" not in cleaned
    assert any(map(is_visible, cleaned))
    for ch in cleaned:
        assert ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
        assert ch not in NONCHARACTERS
    assert check_body(cleaned, 1000) == cleaned


# -- room ids ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("LAN Party!", "lan-party"),
        ("  Café  Crème ", "cafe-creme"),
        ("ÅNGSTRÖM", "angstrom"),
        ("a--b__c", "a-b-c"),
        ("2024 plans", "2024-plans"),
        ("!!!", "room"),
        ("日本語", "room"),
        ("\U0001f600", "room"),
        ("general", "room-general"),
        ("General", "room-general"),
        ("DM with bob", "room-dm-with-bob"),
        ("dm", "dm"),
        ("x" * 60, "x" * 40),
        ("a" * 39 + " b", "a" * 39),
    ],
)
def test_room_slug(name: str, slug: str) -> None:
    assert room_slug(name) == slug


@settings(max_examples=150)
@given(ANY_TEXT)
def test_room_slugs_are_short_safe_and_never_general_or_a_dm(name: str) -> None:
    slug = room_slug(name)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)
    assert len(slug) <= 45
    assert slug != GENERAL
    assert not is_dm_room_id(slug)
    assert not slug.startswith("dm-")


def test_dm_room_id_is_symmetric_and_case_insensitive() -> None:
    assert dm_room_id("ada", "bob") == "dm:ada:bob"
    assert dm_room_id("bob", "ada") == "dm:ada:bob"
    assert dm_room_id("Bob", "ADA") == "dm:ada:bob"
    assert is_dm_room_id(dm_room_id("x", "y"))
    assert not is_dm_room_id("general")


@settings(max_examples=50)
@given(USERNAMES, USERNAMES)
def test_dm_room_ids_identify_the_pair(a: str, b: str) -> None:
    room = dm_room_id(a, b)
    assert room == dm_room_id(b, a) == dm_room_id(a.upper(), b.lower())
    _, first, second = room.split(":")  # usernames cannot hold ':'
    assert sorted((canonical(a), canonical(b))) == [first, second]


# -- invisible characters and non-characters --------------------------------------------

#: What an adversary tried: names and bodies that show nothing at all.
GHOSTS = [
    "\u3164",  # HANGUL FILLER
    "\u3164\u3164 \u3164",
    "\u2800",  # BRAILLE PATTERN BLANK
    "\u115f\u1160",  # Hangul choseong and jungseong fillers
    "\uffa0",  # HALFWIDTH HANGUL FILLER
    "\U0001d159",  # MUSICAL SYMBOL NULL NOTEHEAD
    "\U0001d173\U0001d17a",  # musical beams and phrases (format characters)
    "\u034f\u17b4\u17b5",  # grapheme joiner, Khmer inherent vowels
    "\u180e",  # MONGOLIAN VOWEL SEPARATOR
    "\ufe0f\U000e0100",  # variation selectors
    "\uffff",  # a non-character
    "\U0010fffe\ufdd0",
    "\ue000\U000f0000",  # private use
    "\U0003134b",  # unassigned
    "\u200b\u2060\ufeff\u00ad",  # zero-width space, word joiner, BOM, soft hyphen
    "\u202e\u2066\u200f\u061c",  # bidi controls
    "\u2028\u2029\u3000\u00a0",  # separators and spaces
    "\U000e0041\U000e007f",  # tags
]


@pytest.mark.parametrize("ghost", GHOSTS, ids=ascii)
def test_texts_that_show_nothing_are_refused(ghost: str) -> None:
    assert "visible" in refused(check_body, ghost, 100)
    assert "visible" in refused(check_body, f"  {ghost}\n{ghost}\t", 100)
    for check in (check_display_name, check_room_name):
        assert "visible" in refused(check, ghost)
        assert "visible" in refused(check, f" {ghost} ")
    for check in (check_topic, check_reason):
        assert check(ghost) == ""


@pytest.mark.parametrize(
    "ch",
    ["\u3164", "\u2800", "\u115f", "\u1160", "\uffa0", "\U0001d159", "\u034f", "\u17b4",
     "\u17b5", "\u180e", "\ufe00", "\ufe0f", "\U000e01ef", "\U0001d173", "\U0001d17a",
     "\ue000", "\uffff", "\ufffe", "\ufdd0", "\ufdef", "\U0001fffe", "\U0010ffff", " ",
     "\u200b", "\u202e"],
    ids=ascii,
)  # fmt: skip
def test_invisible_characters(ch: str) -> None:
    assert not is_visible(ch)


@pytest.mark.parametrize("ch", ["a", "Ω", "中", "😀", "ㄱ", "\u2801", ".", "-", "\ufffd", "\u0e01"])
def test_visible_characters(ch: str) -> None:
    assert is_visible(ch)


def test_an_emoji_newer_than_our_unicode_tables_is_visible() -> None:
    shaking = "\U0001fae8"  # SHAKING FACE, Unicode 15: unassigned to Python 3.11
    assert is_visible(shaking)
    assert check_body(shaking, 10) == shaking
    assert check_display_name(shaking) == shaking
    assert name_key(shaking) == shaking
    assert name_key("\U0001fae8") != name_key("\U0001fae9")
    assert not is_visible("\U0001fffe")  # a non-character, though in that area


def test_noncharacters_are_all_66_and_dropped_like_controls() -> None:
    assert len(NONCHARACTERS) == 32 + 34
    assert check_body("a\uffffb\ufdd0c\U0010fffe", 10) == "abc"
    assert check_display_name("Ada\ufffe") == "Ada"
    assert check_topic("x\U0001ffff y") == "x y"
    # private-use and unassigned characters are kept, though they count as invisible
    assert check_body("a\ue000", 10) == "a\ue000"


def test_blank_looking_letters_are_white_space_in_one_line_texts() -> None:
    assert check_display_name("al\u3164ice") == "al ice"
    assert check_display_name("\u2800alice\u3164") == "alice"
    assert check_room_name("a\u115f\u1160b") == "a b"
    assert check_display_name("bo\u034fb") == "bob"
    assert check_display_name("\U0001f44d\ufe0f") == "\U0001f44d\ufe0f"  # emoji style kept
    assert check_body("\u2800\u28ff", 10) == "\u2800\u28ff"  # braille art keeps its blanks


def test_bidi_controls_stay_in_bodies_and_leave_names() -> None:
    spoof = "\u202egnp.exe"
    assert check_body(spoof, 100) == spoof  # the clients draw it harmless
    for check in (check_display_name, check_room_name, check_topic, check_reason):
        assert check(f"x{spoof}\u2066y\u2069\u200e\u061c") == "xgnp.exey"


@settings(max_examples=200)
@given(ANY_TEXT)
def test_one_line_texts_are_empty_or_show_something(text: str) -> None:
    cleaned = check_topic(text)
    assert cleaned == "" or any(map(is_visible, cleaned))
    assert not set(cleaned) & (NONCHARACTERS | BLANK_LOOKING)
    assert all(ch == "\u200d" or unicodedata.category(ch) != "Cf" for ch in cleaned)


# -- name keys ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("alice", "ALICE"),
        ("alice", "  Alice  "),
        ("alice", "\uff41\uff4c\uff49\uff43\uff45"),  # full-width
        ("alice", "\U0001d41a\U0001d425\U0001d422\U0001d41c\U0001d41e"),  # mathematical bold
        ("alice", "\u0430lice"),  # Cyrillic a
        ("alice", "\u0410LICE"),  # Cyrillic capital A
        ("alice", "ali\u0441\u0435"),  # Cyrillic es and ie
        ("alice", "\u03b1lice"),  # Greek alpha
        ("hello", "\u0397\u0395LLO"),  # Greek capital eta and epsilon
        ("ocean", "\u03bf\u0441\u0435\u03b1\u0578"),  # Greek, Cyrillic, Armenian
        ("joe", "\u0458\u043e\u0435"),
        ("alice", "al\u200bice"),  # zero-width space
        ("alice", "ali\u200dce"),  # zero-width joiner
        ("alice", "\u202ealice\u202c"),  # bidi override
        ("alice", "alice\ufe0f"),  # variation selector
        ("alice", "alice\ue000"),  # private use
        ("ada lovelace", "Ada\u3164Lovelace"),  # a blank-looking letter is a space
        ("ada lovelace", "ada \u2800 \t lovelace"),
        ("ada lovelace", "ada\u00a0lovelace"),
        ("josé", "jose\u0301"),  # composed or not
        ("josé", "jos\u0435\u0301"),  # Cyrillic ie under the accent
        ("strasse", "STRASSE"),
        ("straße", "STRASSE"),  # full case folding
        ("ﬁsh", "fish"),  # ligature
    ],
    ids=ascii,
)
def test_names_that_pass_for_each_other_share_a_key(one: str, other: str) -> None:
    assert name_key(one) == name_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [("alice", "alicia"), ("ada lovelace", "adalovelace"), ("josé", "jose"), ("bob", "b0b"),
     ("Ωmega", "omega"), ("中文", "中国"), ("😀", "😃")],
    ids=ascii,
)  # fmt: skip
def test_names_that_differ_have_different_keys(one: str, other: str) -> None:
    assert name_key(one) != name_key(other)


def test_the_lookalike_table_folds_only_other_scripts_into_latin_letters() -> None:
    for latin, chars in LOOKALIKES.items():
        assert latin.isascii() and latin.islower()
        for ch in chars:
            assert not ch.isascii()
            assert ch == ch.casefold(), f"{unicodedata.name(ch)} must be a small letter"
            assert unicodedata.normalize("NFKD", ch) == ch  # what the key reaches
            assert name_key(ch) == latin
            assert name_key(ch.upper()) == latin or ch.upper() == ch


@settings(max_examples=200)
@given(USERNAMES)
def test_a_usernames_key_is_its_canonical_form(username: str) -> None:
    assert name_key(username) == canonical(username)


@settings(max_examples=300)
@given(ANY_TEXT)
def test_name_keys_are_stable_and_ignore_case(text: str) -> None:
    key = name_key(text)
    assert name_key(key) == key
    assert name_key(text.casefold()) == key
    assert key == key.strip() and "  " not in key
    try:
        shown = check_display_name(text)
    except ChatError:
        return
    assert name_key(shown) == key  # cleaning a name does not move its key
    assert key  # a name that shows something has a key


def test_private_room_ids_are_random_and_never_slugs() -> None:
    ids = {private_room_id() for _ in range(50)}
    assert len(ids) == 50
    for room_id in ids:
        assert re.fullmatch(r"p:[a-z2-7]{16}", room_id)
        assert room_id.startswith(PRIVATE_ROOM_PREFIX)
        assert not is_dm_room_id(room_id)
        assert ":" not in room_slug(room_id)
