"""The course's secret for hidden inputs (INSTRUCTOR ONLY).

Hidden checks draw their inputs from a seed per assignment, check and learner. If that seed
came from public values only, anyone with the course repository could recompute every
learner's hidden inputs; so it is an HMAC keyed by a secret of the course, which lives in the
instructor's configuration, outside the repository:

- ``$DL_COURSE_SECRET_FILE`` when set, else ``~/.config/dl-course/hidden-inputs.key``;
- created on first use (32 random bytes, hex, mode 0600, never overwritten), so regrading
  with the same file reproduces the same inputs; copy the file to every machine that grades;
- never visible in the sandbox (its file system is an allow-list without the home folder).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import cache
from pathlib import Path

__all__ = ["secret_path", "course_secret", "secret_fingerprint", "derive_seed"]

ENV_VAR = "DL_COURSE_SECRET_FILE"


def secret_path() -> Path:
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "dl-course" / "hidden-inputs.key"


@cache
def _read_or_create(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32) + "\n")
        try:
            os.link(temporary, path)  # atomic, and never replaces a secret another process made first
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    text = path.read_text().strip()
    if len(text) < 32:
        raise ValueError(f"the course secret {path} is too short (at least 32 characters)")
    return text.encode()


def course_secret() -> bytes:
    """The secret (read once per process; created on first use)."""
    return _read_or_create(secret_path().resolve())


def secret_fingerprint() -> str:
    """A short public digest of the secret: changes when the secret does (grades are then redone)."""
    return hashlib.sha256(b"fingerprint:" + course_secret()).hexdigest()[:12]


def derive_seed(*parts: str) -> int:
    """A 64-bit seed: HMAC-SHA256 of the parts under the course secret."""
    message = "\x00".join(parts).encode("utf-8", "surrogatepass")
    digest = hmac.new(course_secret(), message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "little")
