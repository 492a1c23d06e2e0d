"""The learner bundle holds no reference code, and the learner tools work from it alone."""

import ast
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import course.reference
from autograder.bundle import INSTRUCTOR_ONLY, build_learner_bundle
from course.selfcheck import main as selfcheck_main


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return build_learner_bundle(tmp_path_factory.mktemp("bundle") / "learner")


def test_no_instructor_modules(bundle):
    files = [p.relative_to(bundle.out_dir).as_posix() for p in bundle.out_dir.rglob("*") if p.is_file()]
    assert "course/__init__.py" in files and "course/gradcheck.py" in files
    for name in ("reference", "hidden"):  # spelled out: not taken from the code under test
        assert name in INSTRUCTOR_ONLY
        assert not any(f.startswith(f"course/{name}") for f in files), name


def test_no_reference_definitions_or_imports(bundle):
    reference_names = set(course.reference.__all__)
    for path in bundle.out_dir.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                assert node.name not in reference_names, f"{path}: defines the exercise {node.name}"
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                assert "reference" not in module and "hidden" not in module, f"{path}: imports {module}"


def _function_bodies(path: Path) -> dict[str, str]:
    """ast.dump of each function body (docstring dropped) with at least two statements."""
    bodies = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]
            if len(body) >= 2:
                bodies[ast.dump(ast.Module(body=body, type_ignores=[]))] = f"{path.name}:{node.name}"
    return bodies


def test_no_reference_function_body_anywhere(bundle):
    reference_dir = Path(course.reference.__file__).parent
    reference_bodies = {}
    for path in reference_dir.glob("*.py"):
        reference_bodies.update(_function_bodies(path))
    assert len(reference_bodies) > 50
    for path in bundle.out_dir.rglob("*.py"):
        leaked = set(_function_bodies(path)) & set(reference_bodies)
        assert not leaked, f"{path} contains reference code: {[reference_bodies[b] for b in leaked]}"


def _run_in_bundle(bundle_dir: Path, code: str) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter that sees the bundle's `course` and not the repository's."""
    prelude = (
        "import sys\n"
        "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in str(getattr(f, '__module__', '')).lower()]\n"
        f"sys.path.insert(0, {str(bundle_dir)!r})\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-c", prelude + code], capture_output=True, text=True, env=env, cwd=bundle_dir, timeout=120
    )


def test_learner_tools_work_from_the_bundle_alone(bundle):
    code = (
        "import course, numpy as np\n"
        "assert course.__file__.startswith(sys.path[0]), course.__file__\n"
        "from course.data import load_digits\n"
        "from course.gradcheck import rel_error, eval_numerical_gradient\n"
        "(x, t), _ = load_digits()\n"
        "g = eval_numerical_gradient(lambda v: float(np.sum(v ** 2)), np.array([1.0, -2.0]))\n"
        "assert rel_error(g, np.array([2.0, -4.0])) < 1e-8\n"
        "try:\n"
        "    import course.reference\n"
        "except ModuleNotFoundError:\n"
        "    print('NO-REFERENCE')\n"
    )
    proc = _run_in_bundle(bundle.out_dir, code)
    assert proc.returncode == 0, proc.stderr
    assert "NO-REFERENCE" in proc.stdout


def test_release_notebooks_import_only_learner_tools(bundle):
    # Every `course` import in a release notebook must resolve inside the bundle.
    for notebook in bundle.notebooks:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course"):
                proc = _run_in_bundle(bundle.out_dir, f"import {node.module}")
                assert proc.returncode == 0, f"{notebook.name}: {node.module}: {proc.stderr[-300:]}"


def test_generated_files_say_so(bundle):
    assert "do not edit" in (bundle.out_dir / "pyproject.toml").read_text(encoding="utf-8")
    assert "do not edit" in (bundle.out_dir / "README.md").read_text(encoding="utf-8")


def test_learner_readme_says_how_to_set_up_check_and_submit(bundle):
    """The learner README is in the bundle with the facts a learner acts on; the Python version it asks
    for is the one pyproject.toml requires (and the bundle's own pyproject.toml too)."""
    repo = Path(__file__).resolve().parents[2]
    project = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requires = project["requires-python"]
    lowest = re.fullmatch(r">=\s*(3\.\d+)", requires)
    assert lowest, f"requires-python {requires!r}: say the new range in autograder/learner_readme.md, then here"
    version = lowest.group(1)
    learner_project = tomllib.loads((bundle.out_dir / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert learner_project["requires-python"] == requires

    readme = (bundle.out_dir / "README.md").read_text(encoding="utf-8")
    assert "${" not in readme  # every template field filled in
    # which Python, and set-up on each platform
    assert f"**Python {version} 以上**" in readme and f'requires-python = "{requires}"' in readme
    assert "## 準備 (macOS・Linux)" in readme and f"python{version} -m venv .venv" in readme
    assert ". .venv/bin/activate" in readme and "pip install ." in readme
    assert "## 準備 (Windows)" in readme and f"py -{version} -m venv .venv" in readme
    assert ".venv\\Scripts\\activate" in readme
    assert "## 準備 (Google Colab)" in readme
    fontja = next(d for d in project["dependencies"] if d.startswith("matplotlib-fontja"))
    assert f'%pip install -q --no-deps /content/learner.zip "{fontja}"' in readme
    # checking one's work: what the test cells print, and the self-check with its option
    assert all("公開テスト: OK" in nb.read_text(encoding="utf-8") for nb in bundle.notebooks)
    assert "公開テスト: OK" in readme and "公開テスト保留" in readme
    assert "python -m course.selfcheck release/ch01_activation/ch01_activation.ipynb" in readme
    assert "--timeout 秒" in readme
    # what to submit: only solution cells are taken, hidden tests use other inputs
    assert "ファイル名は変えないでください" in readme and "解答セルだけ" in readme
    assert "テストのセルを書き換えたり消したりしても採点には影響しません" in readme
    assert "別の入力" in readme and "隠しテスト" in readme
    # the chapters, in order
    paths = [nb.relative_to(bundle.out_dir).as_posix() for nb in bundle.notebooks]
    assert len(paths) >= 10 and "release/ch01_activation/ch01_activation.ipynb" in paths
    positions = [readme.index(f"(`{p}`)") for p in sorted(paths)]
    assert positions == sorted(positions)
    assert "1. 第 1 章 " in readme


def test_the_bundle_explains_hints_and_holds_the_glossary(bundle):
    from autograder.glossary import read_glossary

    readme = (bundle.out_dir / "README.md").read_text(encoding="utf-8")
    assert 'hint("softmax", 2)' in readme and "成績には影響しません" in readme and "`glossary.md`" in readme
    assert (bundle.out_dir / "course" / "hints" / "__init__.py").is_file()
    glossary = (bundle.out_dir / "glossary.md").read_text(encoding="utf-8")
    rows = [line for line in glossary.splitlines() if line.startswith("| ") and not line.startswith("| 用語 ")]
    assert len(rows) == len(read_glossary())
    assert "| 荷重減衰 | weight decay | ch09_regularization | 重み減衰 |" in glossary
    assert "\\d" not in glossary  # patterns are for the test, not for learners


def test_a_release_of_some_chapters_lists_only_their_terms(tmp_path):
    from autograder.glossary import glossary_markdown, read_glossary

    page = glossary_markdown(read_glossary(), ["ch01_activation"])
    assert "| パーセプトロン |" in page and "荷重減衰" not in page


def test_the_self_check_option_the_readme_names_exists(tmp_path, capsys):
    assert selfcheck_main([str(tmp_path / "missing.ipynb"), "--timeout", "5"]) == 2  # parsed, then: no such file
    assert "ファイルが見つかりません" in capsys.readouterr().err
