"""extract_answers finds the learner's answers in notebooks mangled the way real editors mangle them."""

import copy
from pathlib import Path

import nbformat
import pytest

from autograder.assignment import AssignmentSpec, CellSpec, load_assignment
from autograder.matching import NO_METADATA_NOTE, extract_answers, holds_stub
from autograder.nbgrader_setup import TEXT_STUB
from autograder.synthetic import fill_release, solution_cells

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENT = "ch01_activation"
SOLUTIONS = ("gates", "xor", "step_function", "sigmoid", "relu", "softmax", "three_layer_forward", "compose_affine")
MY_RELU = "def relu(x):\n    return np.where(x > 0, x, 0.0)"
WRITTEN_NOT_IDENTIFIED = (
    "記述式の解答 why_not_xor は nbgrader のメタデータがないため特定できません。"
    "ノートブックを開いて手で確認してください (written answer not identified)"
)


@pytest.fixture(scope="module")
def spec():
    return load_assignment(ASSIGNMENT)


@pytest.fixture(scope="module")
def source_nb():
    return nbformat.read(REPO / "source_notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


@pytest.fixture(scope="module")
def release_nb():
    return nbformat.read(REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


@pytest.fixture(scope="module")
def reference(source_nb):
    """grade_id → the model answer (code or text) the filled notebook holds."""
    return solution_cells(source_nb)


@pytest.fixture
def filled(release_nb, source_nb):
    return fill_release(release_nb, source_nb)


@pytest.fixture(scope="module")
def stubs(release_nb):
    return {_gid(c): c.source for c in release_nb.cells if _gid(c) in SOLUTIONS}


def _gid(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _index(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells) if _gid(c) == grade_id)


def _without_metadata(nb):
    """What VS Code or Colab may save: every cell's metadata gone."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.metadata = {}
    return nb


def _code(source, grade_id=None):
    cell = nbformat.v4.new_code_cell(source)
    if grade_id:
        cell.metadata = {"nbgrader": {"grade_id": grade_id, "solution": True, "grade": False}}
    return cell


def test_filled_notebook(filled, spec, reference):
    assert [c.grade_id for c in spec.solutions] == list(SOLUTIONS)
    answers = extract_answers(filled, spec)
    assert answers.code == {g: reference[g] for g in SOLUTIONS}
    assert answers.text == {"why_not_xor": reference["why_not_xor"]}
    assert answers.notes == []


def test_untouched_release_counts_as_found(release_nb, spec, stubs):
    answers = extract_answers(release_nb, spec)
    assert answers.code == stubs
    assert all(holds_stub(code) for code in answers.code.values())
    assert answers.text == {"why_not_xor": TEXT_STUB}
    assert answers.notes == []


def test_holds_stub(stubs, reference):
    assert all(holds_stub(stub) for stub in stubs.values())
    assert not any(holds_stub(reference[g]) for g in SOLUTIONS)
    partly_done = reference["gates"].split("\n\n\n")[0] + "\n\n\n" + "\n\n\n".join(stubs["gates"].split("\n\n\n")[1:])
    assert holds_stub(partly_done)


def test_reordered_cells(filled, spec, reference):
    filled.cells.reverse()
    answers = extract_answers(filled, spec)
    assert answers.code == {g: reference[g] for g in SOLUTIONS}
    assert answers.text == {"why_not_xor": reference["why_not_xor"]}
    assert answers.notes == []


def test_duplicated_cell_takes_the_last(filled, spec, reference):
    copy_cell = copy.deepcopy(filled.cells[_index(filled, "relu")])
    copy_cell.source = MY_RELU
    filled.cells.append(copy_cell)  # at the very end, after other exercises
    answers = extract_answers(filled, spec)
    assert answers.code["relu"] == MY_RELU
    assert answers.code["sigmoid"] == reference["sigmoid"]
    assert answers.notes == ["解答セル relu が 2 つあったため、最後のものを採用しました (duplicated cell)"]


def test_duplicated_stub_never_wins(filled, spec, reference, stubs):
    at = _index(filled, "relu")
    stub = copy.deepcopy(filled.cells[at])
    stub.source = stubs["relu"]
    filled.cells.insert(at + 1, stub)
    answers = extract_answers(filled, spec)
    assert answers.code["relu"] == reference["relu"]
    assert answers.notes == [
        "解答セル relu が 2 つあり、後ろのものは手つかずのままだったため、解答が書かれた最後のものを採用しました "
        "(duplicated cell)"
    ]


def test_split_cell_is_joined(filled, spec, reference):
    at = _index(filled, "gates")
    parts = reference["gates"].split("\n\n\n")
    assert [p.split("(")[0] for p in parts] == ["def AND", "def NAND", "def OR"]
    pieces = []
    for part in parts:  # JupyterLab's "split cell" copies the metadata to every part
        piece = copy.deepcopy(filled.cells[at])
        piece.source = part
        pieces.append(piece)
    filled.cells[at : at + 1] = pieces
    answers = extract_answers(filled, spec)
    assert answers.code["gates"] == "\n\n".join(parts)
    assert answers.notes == ["解答セル gates が 3 つのセルに分かれていたため、順につなげました (split cell)"]


def test_merged_cells(filled, spec, reference):
    gates, xor = _index(filled, "gates"), _index(filled, "xor")
    merged = reference["gates"] + "\n\n\n" + reference["xor"]
    filled.cells[gates].source = merged  # merging keeps the first cell's metadata
    del filled.cells[xor]
    answers = extract_answers(filled, spec)
    assert answers.code["gates"] == merged
    assert answers.code["xor"] == merged
    assert answers.notes == [
        "解答セル xor のメタデータがないため、定義されている名前 (XOR) から特定しました (found by defined names)"
    ]


def test_deleted_cell(filled, spec, reference):
    del filled.cells[_index(filled, "relu")]
    answers = extract_answers(filled, spec)
    assert answers.code == {g: (None if g == "relu" else reference[g]) for g in SOLUTIONS}
    assert answers.notes == [
        "解答セル relu が見つかりません (relu を定義しているセルがありません) (answer cell not found)"
    ]


def test_answer_written_in_another_cell_when_the_stub_is_left(release_nb, source_nb, spec):
    nb = fill_release(release_nb, source_nb, leave_blank=("relu",))
    nb.cells.insert(_index(nb, "relu") + 1, _code(MY_RELU))
    answers = extract_answers(nb, spec)
    assert answers.code["relu"] == MY_RELU
    assert answers.notes == [
        "解答セル relu は手つかずのままでしたが、relu を定義している別のセルがあったため、そちらを採用しました "
        "(answer written in another cell)"
    ]


@pytest.mark.parametrize("cell_type", ["markdown", "raw"])
@pytest.mark.parametrize("fenced", [False, True])
def test_cell_type_changed_from_code(filled, spec, reference, cell_type, fenced):
    at = _index(filled, "relu")
    text = f"```python\n{reference['relu']}\n```" if fenced else reference["relu"]
    filled.cells[at] = nbformat.from_dict(
        {"cell_type": cell_type, "id": "relu", "metadata": filled.cells[at].metadata, "source": text}
    )
    answers = extract_answers(filled, spec)
    assert answers.code["relu"].strip() == reference["relu"]
    assert answers.notes == [
        f"解答セル relu の種類がコードから {cell_type} に変わっていたため、"
        "その中身をコードとして使いました (cell type changed)"
    ]


def test_cell_type_changed_to_prose(filled, spec):
    at = _index(filled, "relu")
    filled.cells[at] = nbformat.v4.new_markdown_cell("ReLU は max(0, x) です。", metadata=filled.cells[at].metadata)
    answers = extract_answers(filled, spec)
    assert answers.code["relu"] is None
    assert answers.notes == [
        "解答セル relu の種類がコードから markdown に変わっていて、Python のコードとして読めません "
        "(cell type changed; not Python)"
    ]


def test_cell_type_changed_to_prose_with_the_code_elsewhere(filled, spec):
    at = _index(filled, "relu")
    filled.cells[at] = nbformat.v4.new_markdown_cell("ReLU は max(0, x) です。", metadata=filled.cells[at].metadata)
    filled.cells.insert(at + 1, _code(MY_RELU))
    answers = extract_answers(filled, spec)
    assert answers.code["relu"] == MY_RELU
    assert answers.notes == [
        "解答セル relu の種類が markdown に変わっていて Python として読めないため、"
        "relu を定義しているセルを採用しました (cell type changed)"
    ]


def test_no_metadata_finds_every_solution_by_its_names(filled, spec, reference):
    answers = extract_answers(_without_metadata(filled), spec)
    assert answers.code == {g: reference[g] for g in SOLUTIONS}
    assert answers.text == {"why_not_xor": None}
    assert answers.notes == [NO_METADATA_NOTE, WRITTEN_NOT_IDENTIFIED]


def test_no_metadata_last_definition_wins(filled, spec):
    nb = _without_metadata(filled)
    nb.cells.append(_code("# 試しに書き直した\n" + MY_RELU))
    answers = extract_answers(nb, spec)
    assert answers.code["relu"] == "# 試しに書き直した\n" + MY_RELU
    assert answers.notes == [NO_METADATA_NOTE, WRITTEN_NOT_IDENTIFIED]


def test_no_metadata_answer_above_the_untouched_stub(release_nb, spec, stubs):
    nb = _without_metadata(release_nb)
    nb.cells.insert(_index(release_nb, "relu"), _code(MY_RELU))
    answers = extract_answers(nb, spec)
    assert answers.code == {g: (MY_RELU if g == "relu" else stubs[g]) for g in SOLUTIONS}
    assert answers.notes == [NO_METADATA_NOTE, WRITTEN_NOT_IDENTIFIED]


def test_no_metadata_names_defined_in_separate_cells(filled, spec, reference):
    nb = _without_metadata(filled)
    at = _index(filled, "gates")
    parts = reference["gates"].split("\n\n\n")
    nb.cells[at : at + 1] = [_code(part) for part in parts]
    answers = extract_answers(nb, spec)
    assert answers.code["gates"] == "\n\n".join(parts)
    assert answers.code["xor"] == reference["xor"]
    assert answers.notes == [
        NO_METADATA_NOTE,
        "解答セル gates の名前 (AND, NAND, OR) が別々のセルで定義されていたため、それらを順につなげました "
        "(found by defined names)",
        WRITTEN_NOT_IDENTIFIED,
    ]


def test_instructor_cells_are_never_taken_for_answers():
    given = "def helper():\n    return 1"
    spec = AssignmentSpec("toy", (CellSpec("code", given), CellSpec("solution", "...", "helper", defines=("helper",))))
    nb = nbformat.v4.new_notebook(cells=[_code(given + "\n")])
    answers = extract_answers(nb, spec)
    assert answers.code == {"helper": None}
    assert answers.notes == [
        NO_METADATA_NOTE,
        "解答セル helper が見つかりません (helper を定義しているセルがありません) (answer cell not found)",
        "この課題 (toy) の解答セルが 1 つも見つかりません。別の課題のノートブックではありませんか (wrong assignment?)",
    ]
    nb.cells.append(_code("def helper():\n    return 2"))
    assert extract_answers(nb, spec).code == {"helper": "def helper():\n    return 2"}


def test_notebook_of_another_assignment(spec):
    nb = nbformat.v4.new_notebook(cells=[_code("def mean_squared_error(y, t):\n    return 0.0", "mean_squared_error")])
    answers = extract_answers(nb, spec)
    assert answers.code == dict.fromkeys(SOLUTIONS)
    assert answers.text == {"why_not_xor": None}
    assert answers.notes[-2:] == [
        "記述式の解答 why_not_xor のセルが見つかりません (written answer not found)",
        "この課題 (ch01_activation) の解答セルが 1 つも見つかりません。別の課題のノートブックではありませんか "
        "(wrong assignment?)",
    ]
    assert len(answers.notes) == len(SOLUTIONS) + 2


def test_empty_notebook(spec):
    answers = extract_answers(nbformat.v4.new_notebook(), spec)
    assert answers.code == dict.fromkeys(SOLUTIONS)
    assert answers.text == {"why_not_xor": None}
    assert answers.notes == ["ノートブックにセルが 1 つもありません (empty notebook)"]


def test_written_answer_duplicated_or_retyped(filled, spec, reference):
    at = _index(filled, "why_not_xor")
    stub = copy.deepcopy(filled.cells[at])
    stub.source = TEXT_STUB
    filled.cells.insert(at + 1, stub)
    answers = extract_answers(filled, spec)
    assert answers.text == {"why_not_xor": reference["why_not_xor"]}
    assert answers.notes == [
        "記述式の解答 why_not_xor が 2 つあったため、解答が書かれた最後のものを採用しました (duplicated cell)"
    ]
    del filled.cells[at + 1]
    filled.cells[at] = nbformat.v4.new_raw_cell("私の解答", metadata=filled.cells[at].metadata)
    answers = extract_answers(filled, spec)
    assert answers.text == {"why_not_xor": "私の解答"}
    assert answers.notes == [
        "記述式の解答 why_not_xor の種類がマークダウンから raw に変わっていましたが、"
        "その中身を解答として使いました (cell type changed)"
    ]


def test_code_is_parsed_never_run(filled, spec, tmp_path):
    marker = tmp_path / "ran"
    nb = _without_metadata(filled)
    hostile = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('x')\n" + MY_RELU
    nb.cells.append(_code(hostile))
    nb.cells.append(_code("x" + ".a" * 200_000))  # deep enough to make the parser give up
    answers = extract_answers(nb, spec)
    assert answers.code["relu"] == hostile
    assert not marker.exists()
