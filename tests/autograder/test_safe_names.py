"""safe_name: every text a learner controls becomes a usable, stable, collision-free file name."""

import random
import re
import unicodedata

import pytest

from autograder.safe_names import safe_name

HOSTILE = [
    "",
    " ",
    ".",
    "..",
    "../escape",
    "a/b",
    "a\\b",
    "a\x00b",
    "a\nb",
    "a\rb",
    "\x1b[31mred\x1b[0m",
    "\u202etxt.exe",  # right-to-left override
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "+1",
    "-1",
    "CON",
    "con",
    "con.txt",
    "nul",
    "com1",
    "lpt9.json",
    "Alice",
    "alice ",
    "alice.",
    ".hidden",
    "~alice",
    "山田 太郎",
    "山田\u3000太郎",
    "ｙａｍａｄａ",  # full-width
    "e\u0301",  # NFD
    "\u00e9",  # NFC
    "<script>alert(1)</script>",
    "a\"b'c&d",
    "a" * 240,
    "山" * 80,  # 240 bytes of UTF-8
    "x" * 10_000,
    "\udcff\udcfe",  # undecodable bytes of a file name (surrogate escapes)
    "a~0123456789abcdef",  # looks like the second form
]
WINDOWS_DEVICES = {"con", "prn", "aux", "nul", "conin$", "conout$"} | {
    f"{d}{n}" for d in ("com", "lpt") for n in "0123456789¹²³"
}


def _assert_safe(name: str) -> None:
    assert name, "never empty"
    assert len(name.encode("utf-8")) <= 65, "well under the 255 bytes of a file name"
    assert not set(name) & set("/\\\x00"), "no path separators or NUL"
    assert not any(unicodedata.category(c)[0] in "CZ" for c in name), "no control, format or space characters"
    assert not set(name) & set("<>&\"'`:*?|%#"), "nothing HTML, URLs, shells or Windows treat specially"
    assert not name.startswith((".", "-", "~")) and not name.endswith("."), name
    assert name.lower().split(".", 1)[0] not in WINDOWS_DEVICES, name


@pytest.mark.parametrize("safe", ["alice", "s001", "b2112345", "a.b-c_d", "x" * 64, "ch01"])
def test_portable_names_are_kept_as_they_are(safe):
    assert safe_name(safe) == safe


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_any_text_gives_a_safe_name(text, tmp_path):
    name = safe_name(text)
    _assert_safe(name)
    assert name != text
    assert re.fullmatch(r"[\w.-]+~[0-9a-f]{16}", name), name
    folder = tmp_path / name  # usable as a folder and as a file name, with room for a suffix
    folder.mkdir()
    (folder / f"{name}.json.tmp").write_text("{}")


def test_names_are_readable_and_stable():
    assert safe_name("山田 太郎").startswith("山田_太郎~")
    assert safe_name("Alice Smith").startswith("Alice_Smith~")
    assert safe_name("ｙａｍａｄａ").startswith("yamada~")
    assert safe_name("../escape").startswith("escape~")
    assert safe_name("") == "_~e3b0c44298fc1c14"  # sha256 of nothing: pinned, the name never changes
    assert safe_name("山田 太郎") == safe_name("山田 太郎")


def test_no_two_texts_share_a_name():
    texts = set(HOSTILE) | {"alice", "Alice", "ALICE", "alice_", "alice-", "a_b", "a b", "a/b", "a\\b"}
    rng = random.Random(20240501)
    alphabet = "aA_-. /\\\x00\n~山=+@\u3000\u0301é"
    texts |= {"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(5000)}
    names = {}
    for text in texts:
        name = safe_name(text)
        _assert_safe(name)
        assert names.setdefault(name, text) == text, f"{text!r} and {names[name]!r} share {name!r}"
    # also on a case-insensitive file system (macOS, Windows)
    assert len({n.lower() for n in names}) == len(names)
