"""Find the notebooks to grade in a submissions folder, and say what was left out and why.

Two layouts are recognised:

- nbgrader: ``<student_id>/<assignment_id>/<assignment_id>.ipynb`` (what ``nbgrader collect``
  writes). A renamed notebook (``ch01_activation (1).ipynb``, ``Copy of ….ipynb``) is taken
  when it is the only one; among several, the one with the expected name, else the newest.
- flat: an export of a learning-management system, with ``<student_id>_….ipynb`` files,
  ``<student_id>_….zip`` archives and ``<student_id>_…/`` folders (Moodle) directly in the
  folder. The student id is the part of the name before the first ``_`` or ``-``. The
  assignment comes from the name when it contains a known assignment id, else from the
  contents: nbgrader grade_ids, then the names defined by the code cells.

The folder is nbgrader when some sub-folder holds a folder named like a known assignment.
Archives are extracted into ``scratch_dir`` only (never outside it), with limits on their
size and number of members; nothing a learner sent is executed or trusted here.

Names are the learner's too: a student id that cannot be used (empty, longer than
``MAX_STUDENT_ID_CHARS``, not valid UTF-8) refuses that learner's files alone, with the reason;
any other id is graded, and every path derived from it or from a name in a zip goes through
:func:`autograder.safe_names.safe_name`. The listing shows control characters as escapes.

The submission time is nbgrader's ``timestamp.txt`` next to the notebook (nbgrader layout only,
read with nbgrader's ``parse_utc``; a malformed or implausible one is left out with a note),
never a file's modification time or a zip member's date, which the learner controls.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
import shutil
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from .assignment import AssignmentSpec, load_assignment
from .matching import safe_defined_names
from .model import Ignored, Submission, timestamp_text
from .notebook_reading import MAX_NOTEBOOK_BYTES, read_submission
from .safe_names import safe_name

__all__ = ["MAX_NOTEBOOK_BYTES", "MAX_STUDENT_ID_CHARS", "Discovery", "discover", "printable"]

#: Archives larger than this on disk are refused unopened.
MAX_ZIP_BYTES = 100 * 1024 * 1024
#: Members of one archive (or files of one folder of a flat export) beyond this: refused as a zip bomb.
MAX_ZIP_MEMBERS = 1000
#: Declared uncompressed size of all members of one archive; also enforced while extracting.
MAX_ZIP_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
#: Longest student id graded (characters); a longer one is refused, for that learner alone.
MAX_STUDENT_ID_CHARS = 200
#: nbgrader's timestamp.txt holds one short line; a larger file is not one.
MAX_TIMESTAMP_BYTES = 200
#: Submission times before this, or more than a day ahead of the grading run, are not believed.
EARLIEST_TIMESTAMP = dt.datetime(2000, 1, 1)
_MB = 1024 * 1024
SYMLINK = "シンボリックリンクはたどりません (symlink)"

HOW_NAME = "課題はファイル名から判定 (assignment from file name)"
HOW_GRADE_IDS = "課題は grade_id から判定 (assignment from nbgrader grade ids)"
HOW_DEFINES = "課題は定義された名前から判定 (assignment from defined names)"
_HOW_LABELS = {HOW_NAME: "ファイル名から", HOW_GRADE_IDS: "grade_id から", HOW_DEFINES: "定義された名前から"}
_LAYOUTS = {
    "nbgrader": "nbgrader (<学生ID>/<課題ID>/<課題ID>.ipynb)",
    "flat": "フラット (LMS からの一括ダウンロード: <学生ID>_….ipynb、<学生ID>_….zip、<学生ID>_…/)",
}
_STUDENT = re.compile(r"^\s*([^_\-]+?)\s*(?:[_\-]|$)")
_SEPARATORS = re.compile(r"[\s_\-]+")
# control and format characters (newline, escape sequences, right-to-left override), undecodable
# bytes (surrogate escapes), private use, line and paragraph separators: shown as escapes
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
# end of central directory record of a zip file; for zip64, its locator and its own record
_EOCD = struct.Struct("<4s4H2LH")
_EOCD64_LOCATOR = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")


@dataclass
class Discovery:
    """What ``discover`` found: the notebooks to grade, and the files left out with the reason."""

    layout: str  # "nbgrader" or "flat"
    submissions: list[Submission] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)

    def describe(self, max_ignored: int = 50) -> str:
        """A short summary in Japanese for the instructor."""
        students = {s.student_id for s in self.submissions}
        per_assignment = Counter(s.assignment for s in self.submissions)
        lines = [
            f"提出フォルダの形式: {_LAYOUTS[self.layout]}",
            f"学生 {len(students)} 人、課題 {len(per_assignment)} 件、ノートブック {len(self.submissions)} 件",
        ]
        lines += [f"  {assignment}: {count} 件" for assignment, count in sorted(per_assignment.items())]
        how = Counter(label for s in self.submissions for h, label in _HOW_LABELS.items() if h in s.origin)
        if how:
            lines.append("課題の判定: " + "、".join(f"{label} {n} 件" for label, n in how.items()))
        if self.ignored:
            lines.append(f"採点しないファイル {len(self.ignored)} 件:")
            lines += [f"  - {printable(item.origin)}: {printable(item.reason)}" for item in self.ignored[:max_ignored]]
            if len(self.ignored) > max_ignored:
                lines.append(f"  … ほか {len(self.ignored) - max_ignored} 件")
        else:
            lines.append("採点しないファイルはありません")
        return "\n".join(lines)


@dataclass
class _Candidate:
    """A notebook that may be a student's submission for an assignment."""

    student_id: str
    path: Path
    origin: str  # path relative to the submissions folder (zip members: "a.zip/inner/path")
    name: str  # the name used to find the assignment and to prefer the expected file name
    mtime: float
    container: str = ""  # zip or folder name of a flat export, also searched for an assignment id
    assignment: str | None = None
    how: str = ""
    timestamp: str = ""  # from nbgrader's timestamp.txt (nbgrader layout only)


def printable(text: str) -> str:
    """``text`` for one line of a terminal or a log: control and format characters (newline, escape
    sequences, right-to-left override) and undecodable bytes shown as Python escapes (``\\n``,
    ``\\x1b``); Japanese and other printable text unchanged."""
    return "".join(ascii(char)[1:-1] if unicodedata.category(char) in _UNPRINTABLE else char for char in text)


def discover(submissions_dir: Path, scratch_dir: Path, assignments: list[str] | None, known: list[str]) -> Discovery:
    """The notebooks to grade in ``submissions_dir`` (zips extracted into ``scratch_dir``).

    assignments: the assignments to grade (None: all of ``known``); others are left out silently.
    known: every assignment id of the course.
    """
    root = Path(submissions_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"提出フォルダがありません (submissions folder not found): {root}")
    wanted = set(known if assignments is None else assignments) & set(known)
    layout = _detect_layout(root, set(known))
    ignored: list[Ignored] = []
    if layout == "nbgrader":
        chosen = _nbgrader_layout(root, known, wanted, ignored)
    else:
        chosen = _flat_layout(root, Path(scratch_dir), known, wanted, ignored)
    submissions = [
        Submission(c.student_id, c.assignment or "", c.path, c.origin, _sha256(c.path), c.timestamp)
        for c in _distinct_names(sorted(chosen, key=lambda c: (c.student_id, c.assignment or "", c.origin)), ignored)
    ]
    return Discovery(layout, submissions, sorted(ignored, key=lambda i: i.origin))


def _distinct_names(chosen: list[_Candidate], ignored: list[Ignored]) -> list[_Candidate]:
    """Leave out the learners whose id would share its file name (``safe_name``) with another
    learner's: a 64-bit hash collision, practically never; the first id in sorted order keeps it."""
    owners: dict[str, str] = {}
    kept = []
    for candidate in chosen:
        name = safe_name(candidate.student_id)
        owner = owners.setdefault(name, candidate.student_id)
        if owner == candidate.student_id:
            kept.append(candidate)
        else:
            ignored.append(
                Ignored(
                    candidate.origin,
                    f"学生 ID が別の学生 ID {owner!r} と同じ保存名 {name} になるため採点できません。"
                    "ファイル名を変えて提出し直してもらってください (student id collides with another)",
                )
            )
    return kept


def _id_problem(student_id: str) -> str | None:
    """Why a student id (a folder or file name the learner chose) cannot be used at all, or None."""
    if not student_id.strip():
        return "学生 ID が空です (empty student id)"
    if len(student_id) > MAX_STUDENT_ID_CHARS:
        return f"学生 ID が長すぎます ({len(student_id)} 文字、上限 {MAX_STUDENT_ID_CHARS} 文字) (student id too long)"
    if any(unicodedata.category(char) == "Cs" for char in student_id):
        return "学生 ID に文字として読めないバイトがあります (student id is not valid UTF-8)"
    return None


def _detect_layout(root: Path, known: set[str]) -> str:
    """nbgrader when more top-level entries look like it (a folder holding a folder named like an
    assignment) than like a flat export (a notebook or zip, or a folder holding them directly):
    one learner's folder shaped like nbgrader's must not make every other submission be skipped."""
    nbgrader_like = flat_like = 0
    for child in _entries(root):
        if child.is_symlink():
            continue
        if child.is_file() and child.suffix.lower() in (".ipynb", ".zip"):
            flat_like += 1
        elif child.is_dir():
            inside = [g for g in _entries(child) if not g.is_symlink()]
            if any(g.name in known and g.is_dir() for g in inside):
                nbgrader_like += 1
            elif any(g.is_file() and g.suffix.lower() in (".ipynb", ".zip") for g in inside):
                flat_like += 1
    return "nbgrader" if nbgrader_like > flat_like else "flat"


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def _rel(path: Path, root: Path) -> str:
    """The path relative to the submissions folder, as text (undecodable bytes as ``\\xff``)."""
    text = path.relative_to(root).as_posix()
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _skip_reason(path: Path) -> str | None:
    """Why an entry of the submissions folder is not even looked into: a link, or clutter."""
    return SYMLINK if path.is_symlink() else _junk_reason(path.name)


def _junk_reason(name: str) -> str | None:
    """Why a file or folder is clutter that editors and operating systems leave behind, or None."""
    if name == "__MACOSX":
        return "macOS が zip に入れる管理用フォルダです (__MACOSX)"
    if name == ".DS_Store" or name.startswith("._"):
        return "macOS の管理ファイルです (.DS_Store / AppleDouble)"
    if name == ".ipynb_checkpoints":
        return "Jupyter の自動保存 (checkpoint) です"
    if name.lower() in ("thumbs.db", "desktop.ini"):
        return "Windows の管理ファイルです"
    if name.startswith("."):
        return "隠しファイルです (hidden file)"
    return None


def _size(n: int) -> str:
    return f"{n / _MB:.1f} MB" if n >= _MB else f"{n / 1024:.1f} KB" if n >= 1024 else f"{n} バイト"


def _too_large(size: int, limit: int | None = None) -> str:
    limit = MAX_NOTEBOOK_BYTES if limit is None else limit
    return f"ファイルが大きすぎます: {_size(size)}、上限は {_size(limit)} です (file too large)"


def _unknown_assignment(name: str, known: list[str]) -> str:
    reason = f"未知の課題 {name} です (unknown assignment)"
    close = difflib.get_close_matches(name, known, n=1)
    return reason + (f"。{close[0]} のことでしょうか" if close else "")


# ---------------------------------------------------------------- nbgrader layout


def _nbgrader_layout(root: Path, known: list[str], wanted: set[str], ignored: list[Ignored]) -> list[_Candidate]:
    chosen: list[_Candidate] = []
    for student_dir in _entries(root):
        origin = _rel(student_dir, root)
        skip = _skip_reason(student_dir)
        if skip:
            ignored.append(Ignored(origin, skip))
        elif not student_dir.is_dir():
            ignored.append(Ignored(origin, "nbgrader の形式では <学生ID>/<課題ID>/ の中のノートブックだけを採点します"))
        elif problem := _id_problem(student_dir.name):
            ignored.append(Ignored(origin, problem))
        else:
            for assignment_dir in _entries(student_dir):
                chosen += _nbgrader_assignment(root, student_dir.name, assignment_dir, known, wanted, ignored)
    return chosen


def _nbgrader_assignment(
    root: Path, student_id: str, folder: Path, known: list[str], wanted: set[str], ignored: list[Ignored]
) -> list[_Candidate]:
    origin = _rel(folder, root)
    skip = _skip_reason(folder)
    if skip:
        ignored.append(Ignored(origin, skip))
        return []
    if not folder.is_dir():
        ignored.append(Ignored(origin, "課題のフォルダの外にあるファイルです (not in an assignment folder)"))
        return []
    if folder.name not in known:
        ignored.append(Ignored(origin, _unknown_assignment(folder.name, known)))
        return []
    if folder.name not in wanted:
        return []
    notebooks = []
    stamp = None
    for path in _entries(folder):
        if path.name == "timestamp.txt" and not path.is_symlink():
            stamp = path  # written by nbgrader itself
            continue
        reason = _file_reason(path)
        if reason:
            ignored.append(Ignored(_rel(path, root), reason))
            continue
        info = path.stat()
        notebooks.append(_Candidate(student_id, path, _rel(path, root), path.name, info.st_mtime, "", folder.name))
    if not notebooks:
        ignored.append(Ignored(origin, "採点できるノートブック (.ipynb) がありません (no notebook)"))
        return []
    chosen = _choose(notebooks, folder.name, ignored)
    if stamp is not None:
        chosen.timestamp = _nbgrader_timestamp(stamp, root, ignored)
    return [chosen]


def _nbgrader_timestamp(path: Path, root: Path, ignored: list[Ignored]) -> str:
    """The submission time in nbgrader's ``timestamp.txt``, in nbgrader's format in UTC; "" (and a
    note) when the file cannot be read as one, or its time is before 2000 or after tomorrow."""
    from nbgrader.utils import parse_utc  # slow to import: only when there is such a file

    fallback = "提出時刻には採点で最初に見た時刻を使います"
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_TIMESTAMP_BYTES:
            raise ValueError("not a short regular file")
        when = parse_utc(path.read_bytes().decode("utf-8").strip())
    except Exception:  # noqa: BLE001 - dateutil raises ValueError, OverflowError, TypeError…; all mean "unreadable"
        ignored.append(Ignored(_rel(path, root), f"timestamp.txt の日時が読めません。{fallback} (malformed timestamp)"))
        return ""
    latest = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1)
    if not EARLIEST_TIMESTAMP <= when <= latest:
        ignored.append(
            Ignored(
                _rel(path, root),
                f"timestamp.txt の日時 {when:%Y-%m-%d %H:%M:%S} (UTC) はありえないため使いません。"
                f"{fallback} (implausible timestamp)",
            )
        )
        return ""
    return timestamp_text(when)


def _file_reason(path: Path) -> str | None:
    """Why a file found on disk cannot be a submitted notebook, or None."""
    skip = _skip_reason(path)
    if skip:
        return skip
    if path.is_dir():
        return "フォルダの中は見ません (sub-folder)"
    if path.suffix.lower() != ".ipynb":
        return "ノートブック (.ipynb) ではありません (not a notebook)"
    try:
        info = path.stat()
    except OSError as error:
        return f"ファイルを開けません (cannot open file): {error.strerror}"
    if not stat.S_ISREG(info.st_mode):
        return "通常のファイルではありません (not a regular file)"
    if info.st_size > MAX_NOTEBOOK_BYTES:
        return _too_large(info.st_size)
    return None


def _expected_name(name: str, assignment: str) -> bool:
    """True for ``<assignment>.ipynb``, or ``<student>_<assignment>.ipynb`` in a flat export."""
    stem = name.rsplit("/", 1)[-1].lower().removesuffix(".ipynb")
    return stem == assignment or stem.endswith(("_" + assignment, "-" + assignment))


def _choose(candidates: list[_Candidate], assignment: str, ignored: list[Ignored]) -> _Candidate:
    """One notebook among several of the same student and assignment: the expected name, else the newest."""
    expected = [c for c in candidates if _expected_name(c.name, assignment)]
    chosen = max(expected or candidates, key=lambda c: (c.mtime, c.origin))
    which = "名前が課題どおりのもの (expected name)" if expected else "いちばん新しいもの (newest)"
    for other in candidates:
        if other is not chosen:
            ignored.append(
                Ignored(
                    other.origin,
                    f"同じ学生・同じ課題のノートブックが {len(candidates)} 件あり、{which} の "
                    f"{chosen.origin} を採点します (several notebooks)",
                )
            )
    return chosen


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


# ---------------------------------------------------------------- flat layout


def _student_id(stem: str, known: list[str]) -> str | None:
    """The part of a file name before the first "_" or "-" (None if the name starts with an assignment id)."""
    normalised = _SEPARATORS.sub("_", stem.lower())
    if any(normalised.startswith(_SEPARATORS.sub("_", a.lower())) for a in known):
        return None  # "ch01_activation.ipynb": the name starts with the assignment, not a student
    match = _STUDENT.match(stem)
    return match.group(1) if match and match.group(1).strip() else None


def _flat_layout(
    root: Path, scratch_dir: Path, known: list[str], wanted: set[str], ignored: list[Ignored]
) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    for entry in _entries(root):
        origin = _rel(entry, root)
        skip = _skip_reason(entry)
        if skip:
            ignored.append(Ignored(origin, skip))
            continue
        is_notebook = entry.is_file() and entry.suffix.lower() == ".ipynb"
        is_zip = entry.is_file() and entry.suffix.lower() == ".zip"
        if not (entry.is_dir() or is_notebook or is_zip):
            ignored.append(Ignored(origin, "ノートブック (.ipynb) でも zip でもありません (not a notebook or zip)"))
            continue
        student_id = _student_id(entry.name if entry.is_dir() else entry.stem, known)
        if student_id is None:
            ignored.append(
                Ignored(origin, "名前の先頭に学生 ID がありません (no student id: <学生ID>_… の形にしてください)")
            )
            continue
        if problem := _id_problem(student_id):
            ignored.append(Ignored(origin, problem))
            continue
        if is_notebook:
            reason = _file_reason(entry)
            if reason:
                ignored.append(Ignored(origin, reason))
            else:
                candidates.append(_Candidate(student_id, entry, origin, entry.name, entry.stat().st_mtime))
        elif is_zip:
            candidates += _from_zip(entry, origin, student_id, scratch_dir, ignored)
        else:
            candidates += _from_folder(entry, root, student_id, ignored)

    groups: dict[tuple[str, str], list[_Candidate]] = defaultdict(list)
    specs = _specs(known)
    for candidate in candidates:
        _identify(candidate, known, specs, ignored)
        if candidate.assignment is not None and candidate.assignment in wanted:
            groups[candidate.student_id, candidate.assignment].append(candidate)
    chosen = []
    for (_, assignment), group in groups.items():
        best = _choose(group, assignment, ignored)
        best.origin = f"{best.origin} ({best.how})"
        chosen.append(best)
    return chosen


def _from_folder(folder: Path, root: Path, student_id: str, ignored: list[Ignored]) -> list[_Candidate]:
    """Notebooks of a per-student folder of a flat export (Moodle), searched recursively."""
    candidates = []
    count = 0
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        for name in sorted(dirnames):
            path = here / name
            reason = _skip_reason(path)
            if reason:
                ignored.append(Ignored(_rel(path, root), reason))
                dirnames.remove(name)
        dirnames.sort()
        for name in sorted(filenames):
            count += 1
            if count > MAX_ZIP_MEMBERS:
                ignored.append(
                    Ignored(_rel(folder, root), f"ファイルが多すぎます (上限 {MAX_ZIP_MEMBERS} 個) (too many files)")
                )
                return candidates
            path = here / name
            reason = _file_reason(path)
            if reason:
                ignored.append(Ignored(_rel(path, root), reason))
                continue
            candidates.append(
                _Candidate(
                    student_id,
                    path,
                    _rel(path, root),
                    _rel(path, folder),
                    path.stat().st_mtime,
                    container=folder.name,
                )
            )
    return candidates


def _zip_directory(path: Path) -> tuple[int, int] | None:
    """(members, size of the central directory) announced by the end record of a zip file, read
    before zipfile loads the whole central directory into memory; None without an end record."""
    with path.open("rb") as file:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        tail_size = min(size, _EOCD.size + 65535)  # the record ends the file, after a comment ≤ 64 KiB
        file.seek(size - tail_size)
        tail = file.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        return None
    fields = _EOCD.unpack_from(tail, at)
    total, directory_size = fields[4], fields[5]
    if total == 0xFFFF or directory_size == 0xFFFFFFFF:  # zip64: the true counts are in another record
        locator_at = at - _EOCD64_LOCATOR.size
        if locator_at < 0:
            return None
        signature, _, record_offset, _ = _EOCD64_LOCATOR.unpack_from(tail, locator_at)
        if signature != b"PK\x06\x07":
            return None
        with path.open("rb") as file:
            file.seek(record_offset)
            record = file.read(_EOCD64.size)
        if len(record) < _EOCD64.size or not record.startswith(b"PK\x06\x06"):
            return None
        fields64 = _EOCD64.unpack(record)
        total, directory_size = fields64[7], fields64[8]
    return total, directory_size


def _member_problem(info: zipfile.ZipInfo, name: str) -> str | None:
    """Why a zip member must not be extracted (path traversal, absolute path, link, encryption)."""
    if "\x00" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "絶対パスのファイルは展開しません (absolute path)"
    if ".." in name.split("/"):
        return "フォルダの外を指すパス (../) は展開しません (path traversal)"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "シンボリックリンクは展開しません (symlink)"
    if info.flag_bits & 0x1:
        return "パスワード付きのファイルは開けません (encrypted)"
    return None


def _from_zip(path: Path, origin: str, student_id: str, scratch_dir: Path, ignored: list[Ignored]) -> list[_Candidate]:
    """Extract the notebooks of a student's zip into scratch_dir; every other member is ignored with a reason."""
    size = path.stat().st_size
    if size > MAX_ZIP_BYTES:
        ignored.append(Ignored(origin, _too_large(size, MAX_ZIP_BYTES)))
        return []
    corrupt = "zip ファイルが壊れていて開けません (corrupt zip)"
    try:
        directory = _zip_directory(path)
        if directory is None:
            ignored.append(Ignored(origin, corrupt))
            return []
        count, directory_size = directory
        # an entry of the central directory takes 46 bytes plus its name (and rarely more)
        if count > MAX_ZIP_MEMBERS or directory_size > MAX_ZIP_MEMBERS * 1024:
            ignored.append(Ignored(origin, _too_many_members(count)))
            return []
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        ignored.append(Ignored(origin, corrupt))
        return []
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            ignored.append(Ignored(origin, _too_many_members(len(members))))
            return []
        declared = sum(m.file_size for m in members)
        if declared > MAX_ZIP_UNCOMPRESSED_BYTES:
            ignored.append(
                Ignored(
                    origin,
                    f"展開すると {_size(declared)} になり、上限 {_size(MAX_ZIP_UNCOMPRESSED_BYTES)} を超えるため"
                    "開きません (too large uncompressed; zip bomb?)",
                )
            )
            return []
        destination = scratch_dir / "zips" / safe_name(origin)
        if destination.exists():
            shutil.rmtree(destination)  # stale extraction of an earlier run
        destination.mkdir(parents=True)
        return _extract(archive, members, origin, student_id, path.name, destination, ignored)


def _too_many_members(count: int) -> str:
    return f"zip の中のファイルが多すぎます ({count} 個、上限 {MAX_ZIP_MEMBERS} 個) (too many members; zip bomb?)"


def _extract(
    archive: zipfile.ZipFile,
    members: Iterable[zipfile.ZipInfo],
    origin: str,
    student_id: str,
    zip_name: str,
    destination: Path,
    ignored: list[Ignored],
) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    budget = MAX_ZIP_UNCOMPRESSED_BYTES
    seen: set[tuple[str, ...]] = set()
    for info in members:
        name = info.filename.replace("\\", "/")
        member_origin = f"{origin}/{name}"
        if info.is_dir():
            continue
        reason = _member_problem(info, name)
        parts = tuple(p for p in name.split("/") if p not in ("", "."))
        if reason is None:
            reason = next((r for r in map(_junk_reason, parts) if r), None)
        if reason is None and not name.lower().endswith(".ipynb"):
            reason = (
                "zip の中の zip は開きません (nested zip)"
                if name.lower().endswith(".zip")
                else "ノートブック (.ipynb) ではありません (not a notebook)"
            )
        if reason is None and info.file_size > MAX_NOTEBOOK_BYTES:
            reason = _too_large(info.file_size)
        if reason is None and parts in seen:
            reason = "zip の中に同じ名前のファイルが 2 つあります。最初のものを使います (duplicate member)"
        if reason:
            ignored.append(Ignored(member_origin, reason))
            continue
        seen.add(parts)
        target = destination.joinpath(*map(safe_name, parts))  # a member's name may be long or odd
        if not target.resolve().is_relative_to(destination.resolve()):
            ignored.append(Ignored(member_origin, "フォルダの外を指すパスは展開しません (path traversal)"))
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source:
                written = _copy_limited(source, target, min(MAX_NOTEBOOK_BYTES, budget))
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, RuntimeError, ValueError):
            target.unlink(missing_ok=True)
            ignored.append(Ignored(member_origin, "zip の中のこのファイルは壊れていて展開できません (corrupt member)"))
            continue
        if written is None:
            ignored.append(Ignored(member_origin, "展開すると上限を超える大きさになります (too large; zip bomb?)"))
            continue
        budget -= written
        mtime = _zip_time(info)
        candidates.append(_Candidate(student_id, target, member_origin, name, mtime, container=zip_name))
    return candidates


def _copy_limited(source: IO[bytes], target: Path, limit: int) -> int | None:
    """Copy at most ``limit`` bytes; None (and no file left) if the source holds more."""
    written = 0
    with target.open("wb") as out:
        while chunk := source.read(1024 * 1024):
            written += len(chunk)
            if written > limit:
                break
            out.write(chunk)
    if written > limit:
        target.unlink()
        return None
    return written


def _zip_time(info: zipfile.ZipInfo) -> float:
    try:
        return datetime(*info.date_time).timestamp()
    except (ValueError, OverflowError):
        return 0.0


# ---------------------------------------------------------------- which assignment


def _specs(known: list[str]) -> dict[str, AssignmentSpec]:
    specs = {}
    for assignment in known:
        try:
            specs[assignment] = load_assignment(assignment)
        except (FileNotFoundError, ValueError):
            continue  # an assignment without a readable source notebook cannot be recognised by content
    return specs


def _assignment_in_name(name: str, known: list[str]) -> str | None:
    """The longest known assignment id in a file name (separators and case ignored)."""
    normalised = _SEPARATORS.sub("_", name.lower())
    found = [a for a in known if _SEPARATORS.sub("_", a.lower()) in normalised]
    return max(found, key=len) if found else None


def _identify(
    candidate: _Candidate, known: list[str], specs: dict[str, AssignmentSpec], ignored: list[Ignored]
) -> None:
    """Set the candidate's assignment from its name, else its contents; record it as ignored if neither tells."""
    for name in (candidate.name, candidate.container):
        assignment = _assignment_in_name(name, known) if name else None
        if assignment:
            candidate.assignment, candidate.how = assignment, HOW_NAME
            return
    nb, problems = read_submission(candidate.path)
    if nb is None:
        ignored.append(
            Ignored(
                candidate.origin,
                "名前に課題 ID がなく、中身も読めないため課題を特定できません (assignment not identified): "
                + "; ".join(problems),
            )
        )
        return
    grade_ids: set[str] = set()
    names: set[str] = set()
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if isinstance(grade_id, str):
            grade_ids.add(grade_id)
        if cell.cell_type == "code":
            names |= safe_defined_names(cell.source)
    by_ids = {a: len(grade_ids & {c.grade_id for c in spec.cells if c.grade_id}) for a, spec in specs.items()}
    best = _unique_best(by_ids, minimum=1)
    if best:
        candidate.assignment, candidate.how = best, HOW_GRADE_IDS
        return
    by_names = {
        a: sum(set(s.defines) <= names for s in spec.solutions if s.defines)
        / max(1, sum(1 for s in spec.solutions if s.defines))
        for a, spec in specs.items()
    }
    best = _unique_best(by_names, minimum=0.5) or _closest_notebook(by_names, names, specs)
    if best:
        candidate.assignment, candidate.how = best, HOW_DEFINES
        return
    ignored.append(
        Ignored(
            candidate.origin,
            "課題を特定できません: 名前に課題 ID がなく、grade_id も定義された名前もどの課題とも合いません "
            "(assignment not identified)",
        )
    )


def _closest_notebook(by_names: dict[str, float], names: set[str], specs: dict) -> str | None:
    """Break a tie between assignments that all define every solution name found (a later chapter
    gives earlier chapters' code): the one whose whole notebook defines the most similar set of names
    (Jaccard index over every code cell) wins."""
    top = max(by_names.values(), default=0.0)
    tied = [a for a, score in by_names.items() if score == top]
    if top < 0.5 or len(tied) < 2:
        return None
    similarity = {}
    for assignment in tied:
        expected = set()
        for cell in specs[assignment].cells:
            if cell.kind in ("code", "solution"):
                expected |= safe_defined_names(cell.source)
        similarity[assignment] = len(names & expected) / max(1, len(names | expected))
    return _unique_best(similarity, minimum=0.0)


def _unique_best(scores: dict[str, float], minimum: float) -> str | None:
    if not scores:
        return None
    top = max(scores.values())
    best = [a for a, score in scores.items() if score == top]
    return best[0] if top >= minimum and len(best) == 1 else None
