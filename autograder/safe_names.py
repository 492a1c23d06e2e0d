"""One file or folder name for any text a learner controls (a student id, a file name in a zip).

A learner chooses the name of their folder or file, and so the student id: it can be 240
bytes long, hold ``/``, ``\\``, a newline, an escape sequence, ``..``, ``CON`` or 山田 太郎.
Every path the grader derives from such text goes through :func:`safe_name`, which returns

- the text itself when it is already portable: lowercase ASCII letters, digits, ``.``, ``_``
  and ``-``, starting with a letter or digit, at most 64 characters, not ending with ``.``,
  not a name Windows reserves (``alice`` stays ``alice``, ``s001`` stays ``s001``);
- otherwise a readable part and a hash: ``<readable>~<16 hex digits of SHA-256>``, where the
  readable part keeps the letters, digits and ``-`` of the text (NFKC-normalised, so full-width
  letters become ASCII; every other character, ``.`` included, becomes ``_``), cut to 48
  bytes (``山田 太郎`` → ``山田_太郎~…``, ``con.txt`` → ``con_txt~…``).

The result is stable (the same text always gives the same name), at most 65 bytes of UTF-8,
holds only letters, digits, ``.``, ``_``, ``-`` and ``~`` (no ``/``, ``\\``, NUL, control
characters, spaces or HTML metacharacters), never starts with ``.`` or ends with ``.``, and is
never a Windows device name. It is collision-free: the two forms cannot meet (only the second
holds ``~``), the first is the text itself, and two texts share the second only if their
64-bit hashes collide. Uppercase letters always take the second form, so that ``Alice`` and
``alice`` stay apart on case-insensitive file systems (macOS, Windows) too.

The name is a key, never parsed back: wherever the real text matters (CSV files, pages,
messages), the grader shows the text itself, escaped for the medium.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["safe_name"]

#: Longest text kept as it is.
_MAX_VERBATIM = 64
#: Longest readable part of the second form, in bytes of UTF-8.
_MAX_READABLE_BYTES = 48
_VERBATIM = re.compile(r"[a-z0-9][a-z0-9._-]*")
_OTHER = re.compile(r"[^\w-]|_")  # \w is Unicode-aware: letters and digits of every script, and "_"
_RUNS = re.compile(r"_+")
#: Device names of Windows, also reserved with any extension ("con.txt").
_WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul", "conin$", "conout$"]
    + [f"{device}{n}" for device in ("com", "lpt") for n in "0123456789¹²³"]
)


def safe_name(text: str) -> str:
    """A file or folder name for ``text`` (any string, even empty): ``text`` itself when it is
    portable, else ``<readable>~<hash>``; see the module docstring for the guarantees."""
    if (
        len(text) <= _MAX_VERBATIM
        and _VERBATIM.fullmatch(text)
        and not text.endswith(".")
        and text.split(".", 1)[0] not in _WINDOWS_DEVICES
    ):
        return text
    readable = _RUNS.sub("_", _OTHER.sub("_", unicodedata.normalize("NFKC", text)))
    kept = []
    size = 0
    for char in readable:
        size += len(char.encode("utf-8", "surrogatepass"))
        if size > _MAX_READABLE_BYTES:
            break
        kept.append(char)
    readable = "".join(kept).strip("_-") or "_"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{readable}~{digest}"
