"""A fresh, unused user id for every sandbox (when the grader runs as root).

Each sandbox runs as a uid that no account, no subordinate-id range (``/etc/subuid``,
``/etc/subgid``) and no running process uses, reserved for as long as the sandbox lives by a
file created with ``O_EXCL`` in a folder only root can write. So two sandboxes, of one worker
or of two graders on the machine, never share a uid, a process limit or a kernel keyring, and
a uid is never one of a real user.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

__all__ = ["UidReservation", "reserve_uid", "used_ranges"]

#: The range sandbox uids are drawn from (above the usual accounts and the usual subuid ranges,
#: below 2**31 so that every tool prints them as positive numbers).
FIRST, LAST = 1_500_000_000, 1_999_999_999


def _reservations_dir() -> Path:
    for base in (Path("/run"), Path(tempfile.gettempdir())):
        folder = base / "dl-course-sandbox-uids"
        with contextlib.suppress(OSError):
            folder.mkdir(mode=0o700, exist_ok=True)
            if folder.stat().st_uid == os.getuid() and not folder.is_symlink():
                return folder
    raise OSError("no folder to reserve sandbox uids in")


def used_ranges() -> list[tuple[int, int]]:
    """Inclusive ranges of ids taken by accounts, groups and subordinate-id ranges."""
    ranges: list[tuple[int, int]] = []
    for name in ("/etc/passwd", "/etc/group"):
        with contextlib.suppress(OSError):
            for line in Path(name).read_text(errors="replace").splitlines():
                fields = line.split(":")
                if len(fields) > 2 and fields[2].isdigit():
                    ranges.append((int(fields[2]), int(fields[2])))
    for name in ("/etc/subuid", "/etc/subgid"):
        with contextlib.suppress(OSError):
            for line in Path(name).read_text(errors="replace").splitlines():
                fields = line.split(":")
                if len(fields) == 3 and fields[1].isdigit() and fields[2].isdigit():
                    start, count = int(fields[1]), int(fields[2])
                    ranges.append((start, start + max(count, 1) - 1))
    return ranges


def _running_uids() -> set[int]:
    uids: set[int] = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                uids.add(entry.stat().st_uid)
    return uids


class UidReservation:
    """A reserved uid; ``release()`` (or the context manager) gives it back."""

    def __init__(self, uid: int, path: Path) -> None:
        self.uid = uid
        self.path = path

    def release(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()

    def __enter__(self) -> UidReservation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _stale(path: Path) -> bool:
    """A reservation whose owner process is gone (a grader that was killed)."""
    try:
        owner = int(path.read_text().strip() or "0")
    except (OSError, ValueError):
        return False
    if owner <= 0:
        return False
    try:
        os.kill(owner, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def reserve_uid(tries: int = 200) -> UidReservation:
    """Reserve a uid that nothing on this machine uses (see the module docstring)."""
    folder = _reservations_dir()
    taken = used_ranges()
    running = _running_uids()
    for _ in range(tries):
        uid = FIRST + secrets.randbelow(LAST - FIRST + 1)
        if uid in running or any(lo <= uid <= hi for lo, hi in taken):
            continue
        path = folder / str(uid)
        if path.exists() and _stale(path):
            with contextlib.suppress(OSError):
                path.unlink()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w") as file:
            file.write(str(os.getpid()))
        return UidReservation(uid, path)
    raise OSError("no free uid for a sandbox")
