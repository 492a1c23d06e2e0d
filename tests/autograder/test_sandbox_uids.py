"""Sandbox uids are fresh, unused by anything on the machine, and reserved while in use."""

from __future__ import annotations

import os

from autograder import sandbox_uids
from autograder.sandbox_uids import FIRST, LAST, reserve_uid


def test_reserved_uids_are_distinct_in_range_and_unused():
    reservations = [reserve_uid() for _ in range(20)]
    try:
        uids = [r.uid for r in reservations]
        assert len(set(uids)) == 20 and all(FIRST <= uid <= LAST for uid in uids)
        taken = sandbox_uids.used_ranges()
        assert not any(lo <= uid <= hi for uid in uids for lo, hi in taken)
    finally:
        for reservation in reservations:
            reservation.release()
    assert not any(r.path.exists() for r in reservations)


def _draws(monkeypatch, offsets):
    """Make the random draws of reserve_uid return ``offsets`` (from FIRST) in turn."""
    queue = list(offsets)
    monkeypatch.setattr(sandbox_uids.secrets, "randbelow", lambda n: queue.pop(0))


def test_taken_ids_are_never_chosen(monkeypatch):
    """Ids of accounts and subordinate ranges, ids of running processes and reserved ids are skipped."""
    monkeypatch.setattr(sandbox_uids, "used_ranges", lambda: [(FIRST, FIRST + 9)])
    monkeypatch.setattr(sandbox_uids, "_running_uids", lambda: {FIRST + 10})
    _draws(monkeypatch, [3, 10, 11, 11, 9, 12])
    with reserve_uid() as first:
        assert first.uid == FIRST + 11  # 3 is in a taken range, 10 runs a process
        with reserve_uid() as second:
            assert second.uid == FIRST + 12  # 11 is reserved, 9 is taken
    assert not first.path.exists() and not second.path.exists()


def test_a_dead_graders_reservation_is_reclaimed(monkeypatch):
    folder = sandbox_uids._reservations_dir()
    stale = folder / str(FIRST + 5)
    stale.write_text(str(2**22 + os.getpid() % 1000))  # a pid that does not exist
    _draws(monkeypatch, [5])
    with reserve_uid() as reservation:
        assert reservation.uid == FIRST + 5
