"""``autograder release``: no release state gives away the answer of an exercise whose chapter is open.

The leak detector here is independent of :mod:`autograder.answer_leaks`: it takes the solution
lines of every open chapter from the committed source notebooks (between nbgrader's solution
markers) and looks for them in the code cells of what the release wrote.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.answer_leaks import TermError, chapter_ids, given_answers, read_deadlines
from autograder.cli import main as cli_main
from autograder.release import ReleaseRefused, release_chapters
from autograder.synthetic import fill_release
from course.own_code import OwnCodeError, definitions, load_own_code

REPO = Path(__file__).resolve().parents[2]
CHAPTERS = chapter_ids()
NOW = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
MIN_LINE = 25  # shorter solution lines (``return out``) are too common to mean anything


def _solution_blocks(chapter: str) -> dict[str, set[str]]:
    """grade_id → the distinctive lines of that solution cell's model answer, as the source notebook holds it."""
    nb = json.loads((REPO / "source_notebooks" / chapter / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    blocks: dict[str, set[str]] = {}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("solution") or cell["cell_type"] != "code":
            continue
        lines, inside = blocks.setdefault(meta["grade_id"], set()), False
        for line in "".join(cell["source"]).splitlines():
            if "### BEGIN SOLUTION" in line:
                inside = True
            elif "### END SOLUTION" in line:
                inside = False
            elif inside and len(line.strip()) >= MIN_LINE and not line.strip().startswith("#"):
                lines.add(line.strip())
    return {grade_id: lines for grade_id, lines in blocks.items() if lines}


SOLUTION_BLOCKS = {chapter: _solution_blocks(chapter) for chapter in CHAPTERS}


def _given_away(blocks: dict[str, set[str]], code: set[str]) -> list[str]:
    """The answers whose lines the code holds: at least half of them, and two unless the answer has one.
    (One line alone, such as a dtype check, is an idiom several answers share.)"""
    return [
        grade_id
        for grade_id, lines in blocks.items()
        if len(lines & code) >= min(2, len(lines)) and len(lines & code) >= len(lines) / 2
    ]


def _code_lines(out: Path) -> set[str]:
    found: set[str] = set()
    for notebook in out.rglob("*.ipynb"):
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                found.update(line.strip() for line in "".join(cell["source"]).splitlines())
    return found


def _term(tmp_path: Path, closed: list[str]) -> Path:
    """A term file in which ``closed`` ended a day before NOW and every other chapter ends after it."""
    lines = ["[deadlines]"]
    for chapter in CHAPTERS:
        when = NOW - dt.timedelta(days=1) if chapter in closed else NOW + dt.timedelta(days=30)
        lines.append(f"{chapter} = {when.isoformat()}")
    path = tmp_path / "term.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_solution_lines_are_found_at_all():
    """The detector sees something: every chapter has answers, and ch06 holds ch05's TwoLayerNet."""
    assert all(SOLUTION_BLOCKS[chapter] for chapter in CHAPTERS)
    given_in_ch06 = _given_away(
        SOLUTION_BLOCKS["ch05_softmax_training"], _code_lines(REPO / "release" / "ch06_optimizers")
    )
    assert "two_layer_net" in given_in_ch06
    assert "ch05_softmax_training" in {leak.owner for leak in given_answers("ch06_optimizers")}


@pytest.mark.parametrize("own_code", [False, True], ids=["refuse", "own_code"])
@pytest.mark.parametrize("k", range(len(CHAPTERS) + 1))
def test_no_release_state_gives_an_open_answer(tmp_path, k, own_code):
    """Chapters 1..k closed: each chapter is either refused or released without any open chapter's answer
    (with own_code, every chapter is released); chapter k+1 (the next one of the course) can be released."""
    closed = CHAPTERS[:k]
    term = _term(tmp_path, closed)
    released = []
    for chapter in CHAPTERS:
        out = tmp_path / chapter
        try:
            release_chapters([chapter], out, term=term, now=NOW, own_code=own_code)
        except ReleaseRefused as refusal:
            assert not own_code
            assert refusal.leaks and all(leak.owner not in closed for leak in refusal.leaks)
            assert not out.exists(), "a refused release wrote files"
            continue
        released.append(chapter)
        code = _code_lines(out)
        leaked = {c: _given_away(SOLUTION_BLOCKS[c], code) for c in CHAPTERS if c not in closed}
        assert not any(leaked.values()), f"{chapter} with {closed or 'nothing'} closed gives away: {leaked}"
        assert {p.parent.name for p in (out / "release").rglob("*.ipynb")} == {chapter}
    if k < len(CHAPTERS):
        assert CHAPTERS[k] in released, f"{CHAPTERS[k]} cannot be released once {CHAPTERS[:k]} are closed"
    if own_code:
        assert released == CHAPTERS


def _run_loaders(notebook: Path, monkeypatch) -> dict:
    """Run a released notebook's first code cell (its imports) and its cells that load own code, in its folder."""
    cells = [c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
    monkeypatch.chdir(notebook.parent)
    namespace: dict = {"__name__": "__main__"}
    for cell in [cells[0]] + [c for c in cells if "load_own_code(" in c.source]:
        exec(compile(cell.source, str(notebook), "exec"), namespace)
    return namespace


def test_an_own_code_release_runs_on_the_learners_earlier_notebooks(tmp_path, monkeypatch):
    """ch06 released while ch05 is open: its given cell loads TwoLayerNet from the learner's ch05 notebook."""
    out = tmp_path / "class"
    release_chapters(["ch06_optimizers"], out, term=_term(tmp_path, CHAPTERS[:4]), now=NOW, own_code=True)
    notebook = out / "release" / "ch06_optimizers" / "ch06_optimizers.ipynb"
    code = "\n".join(c.source for c in nbformat.read(notebook, as_version=4).cells)
    assert 'load_own_code(["SoftmaxWithLoss", "TwoLayerNet"]' in code
    with pytest.raises(OwnCodeError, match="ch05_softmax_training.ipynb が見つかりません"):
        _run_loaders(notebook, monkeypatch)
    # the learner's own ch05, filled in (here with the model answers), where the release put ch05
    ch05 = "ch05_softmax_training"
    filled = fill_release(
        nbformat.read(REPO / "release" / ch05 / f"{ch05}.ipynb", as_version=4),
        nbformat.read(REPO / "source_notebooks" / ch05 / f"{ch05}.ipynb", as_version=4),
    )
    (out / "release" / ch05).mkdir()
    nbformat.write(filled, out / "release" / ch05 / f"{ch05}.ipynb")
    namespace = _run_loaders(notebook, monkeypatch)
    net_class = namespace["TwoLayerNet"]
    assert net_class.__init__.__globals__["__name__"] == f"own_{ch05}"  # the learner's class, not a given copy
    net = net_class(4, 5, 3, rng=np.random.default_rng(0))
    loss = net.loss(np.ones((2, 4)), np.array([0, 2]))
    assert np.isfinite(loss) and loss > 0
    assert namespace["softmax"].__globals__["__name__"] == "__main__"  # ch01 is closed: given as code


def test_loading_unfinished_own_code_says_so(tmp_path, capsys):
    ch05 = "ch05_softmax_training"
    namespace: dict = {}
    load_own_code(["TwoLayerNet"], REPO / "release" / ch05 / f"{ch05}.ipynb", namespace)
    assert "TwoLayerNet はまだ実装されていません" in capsys.readouterr().out
    with pytest.raises(OwnCodeError, match="NoSuchLayer の定義がありません"):
        load_own_code(["NoSuchLayer"], REPO / "release" / ch05 / f"{ch05}.ipynb", namespace)
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(OwnCodeError, match="読み込めません"):
        load_own_code(["x"], broken, namespace)


def test_only_definitions_are_taken_from_the_earlier_notebook():
    cells = [
        "import numpy as np\nNAMES = ('a', 'b')\nrng = np.random.default_rng(0)\nratio = a / b\n",
        "def f(x):\n    return 2 * x\n\nprint(f(1))\nhistory = train()\n",
        "%matplotlib inline\nclass C:\n    pass\n",  # not Python: skipped whole
        "class D(C):\n    pass\nX: int = 3\nY: float = compute()\n",
    ]
    code = definitions(cells)
    assert code.splitlines() == [
        "import numpy as np",
        "",
        "NAMES = ('a', 'b')",
        "",
        "def f(x):",
        "    return 2 * x",
        "",
        "class D(C):",
        "    pass",
        "",
        "X: int = 3",
    ]


def test_with_every_chapter_closed_the_whole_course_is_released(tmp_path):
    result = release_chapters(CHAPTERS, tmp_path / "all", term=_term(tmp_path, CHAPTERS), now=NOW)
    assert len(result.notebooks) == len(CHAPTERS)


def test_a_refusal_names_every_answer_and_its_deadline(tmp_path):
    term = _term(tmp_path, CHAPTERS[:4])  # ch01-ch04 closed, ch05 open
    with pytest.raises(ReleaseRefused) as refusal:
        release_chapters(["ch06_optimizers"], tmp_path / "out", term=term, now=NOW)
    message = str(refusal.value)
    assert "ch05_softmax_training" in message and "SoftmaxWithLoss, TwoLayerNet" in message
    assert (NOW + dt.timedelta(days=30)).isoformat() in message
    assert "ch04_backprop_layers" not in message  # closed: its Affine and Relu may be given


def test_a_deadline_later_today_is_not_passed(tmp_path):
    term = tmp_path / "term.toml"
    term.write_text("[deadlines]\nch01_activation = 2027-03-01T09:00:00+09:00\n", encoding="utf-8")
    before = dt.datetime(2027, 2, 28, 23, 59, tzinfo=dt.UTC)  # 08:59 in Japan
    with pytest.raises(ReleaseRefused):
        release_chapters(["ch02_loss"], tmp_path / "out", term=term, now=before)
    release_chapters(["ch02_loss"], tmp_path / "out", term=term, now=before + dt.timedelta(minutes=1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[deadlines]\nch99_unknown = 2027-01-01T00:00:00+09:00\n", "unknown chapter"),
        ("[deadlines]\nch01_activation = 2027-01-01T00:00:00\n", "UTC offset"),
        ("[deadlines]\nch01_activation = 2027-01-01\n", "UTC offset"),
        ("[deadlines\n", "not valid TOML"),
    ],
)
def test_a_term_file_that_cannot_say_when_is_refused(tmp_path, text, expected):
    term = tmp_path / "term.toml"
    term.write_text(text, encoding="utf-8")
    with pytest.raises(TermError, match=expected):
        read_deadlines(term)


def test_the_repository_term_file_reads():
    assert isinstance(read_deadlines(REPO / "term.toml"), dict)


def test_the_command(tmp_path, capsys):
    term = _term(tmp_path, CHAPTERS[:1])
    args = ["release", "ch02_loss", "--out", str(tmp_path / "out"), "--term", str(term), "--now", NOW.isoformat()]
    assert cli_main(args) == 0
    assert (tmp_path / "out" / "release" / "ch02_loss" / "ch02_loss.ipynb").is_file()
    args = ["release", "ch03_numerical_gradient", "--out", str(tmp_path / "o3"), "--term", str(term)]
    assert cli_main([*args, "--now", NOW.isoformat()]) == 2
    assert "cross_entropy_error" in capsys.readouterr().err
    assert cli_main([*args, "--now", "2027-03-01T00:00:00"]) == 2  # no offset: refused, not guessed
    assert cli_main(["release", "ch77", "--out", str(tmp_path / "o"), "--term", str(term)]) == 2


@pytest.fixture(scope="module")
def class_with_nothing_closed(tmp_path_factory):
    """Every chapter released with own code while no chapter is closed, each filled in (with the
    model answers, as a diligent learner would) in the folder the release put it in."""
    out = tmp_path_factory.mktemp("own") / "class"
    term = out.parent / "term.toml"
    term.write_text("[deadlines]\n", encoding="utf-8")
    release_chapters(CHAPTERS, out, term=term, now=NOW, own_code=True)
    for chapter in CHAPTERS:
        path = out / "release" / chapter / f"{chapter}.ipynb"
        source = nbformat.read(REPO / "source_notebooks" / chapter / f"{chapter}.ipynb", as_version=4)
        nbformat.write(fill_release(nbformat.read(path, as_version=4), source), path)
    return out


@pytest.mark.parametrize("chapter", [c for c in CHAPTERS if given_answers(c)])
def test_own_code_loads_through_every_earlier_chapter(class_with_nothing_closed, chapter, monkeypatch):
    """ch10's optimizers come from the learner's ch06, whose own given cell loads ch05's parts, and so on."""
    namespace = _run_loaders(class_with_nothing_closed / "release" / chapter / f"{chapter}.ipynb", monkeypatch)
    for leak in given_answers(chapter):
        assert leak.name in namespace, leak
        defined_in = getattr(namespace[leak.name], "__module__", "")
        assert defined_in.startswith("own_"), f"{leak.name} in {chapter} is not the learner's own ({defined_in})"
