"""report.html and the feedback pages of a small grading run, opened in Chromium from file:// URLs.

Two learners of ch01_activation: one with every reference solution, one whose relu is wrong and
whose ID is Japanese with a space (so its feedback folder is a safe name and its link is
percent-encoded). The pages must load with no console error, uncaught exception or failed request,
draw every Japanese character with a real glyph (no tofu), and link each learner's total in the
report to that learner's own feedback page.
"""

from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

from autograder.build import REPO_ROOT
from autograder.grade_command import run_grade
from autograder.nbgrader_setup import RELEASE_DIRECTORY, SOURCE_DIRECTORY
from autograder.synthetic import fill_release

pytestmark = pytest.mark.xdist_group("browser")  # one worker: one browser, one grading run

A = "ch01_activation"
LEARNERS = {"honest": {}, "佐藤 花子": {"relu": "def relu(x):\n    return x"}}


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser_class")
    release = nbformat.read(REPO_ROOT / RELEASE_DIRECTORY / A / f"{A}.ipynb", as_version=4)
    source = nbformat.read(REPO_ROOT / SOURCE_DIRECTORY / A / f"{A}.ipynb", as_version=4)
    for student, overrides in LEARNERS.items():
        folder = root / "submissions" / student / A
        folder.mkdir(parents=True)
        nbformat.write(fill_release(release, source, overrides=overrides), folder / f"{A}.ipynb")
    run = run_grade(root / "submissions", root / "out", workers=2, show_progress=False, log=lambda m: None)
    assert sorted(r.student_id for r in run.results) == sorted(LEARNERS)
    return root / "out"


def _pages(out: Path) -> list[Path]:
    return [out / "report.html", *sorted((out / "feedback").glob(f"*/{A}.html"))]


def test_pages_load_without_errors(out, watched, artifacts):
    pages = _pages(out)
    assert len(pages) == 1 + len(LEARNERS)
    for number, path in enumerate(pages):
        view = watched(viewport={"width": 1200, "height": 900})
        view.page.goto(path.as_uri(), wait_until="load")
        broken_images = view.page.eval_on_selector_all(
            "img", "imgs => imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt)"
        )
        name = "report" if number == 0 else f"feedback-{number}"
        view.page.screenshot(path=artifacts / f"{name}.png", full_page=True)
        assert view.problems == [], f"{path.relative_to(out)}: {view.problems}"
        assert broken_images == [], f"{path.relative_to(out)}: images that did not load: {broken_images}"


def test_japanese_text_is_drawn_with_real_glyphs(out, watched):
    for path in _pages(out):
        view = watched()
        view.page.goto(path.as_uri())
        glyphs = view.missing_glyphs()
        assert len(glyphs["checked"]) >= 50, f"{path.relative_to(out)}: too little Japanese text found: {glyphs}"
        assert glyphs["missing"] == "", (
            f"{path.relative_to(out)}: no glyph (tofu) for {glyphs['missing']!r}; install a Japanese font "
            "(`bash .ci/setup-system` installs fonts-ipaexfont-gothic)"
        )


def test_the_glyph_check_fails_where_no_japanese_font_is_installed(out, watched, browser_without_japanese_fonts):
    view = watched(in_browser=browser_without_japanese_fonts)
    view.page.goto((out / "report.html").as_uri())
    glyphs = view.missing_glyphs()
    assert "採点" in glyphs["missing"], glyphs
    assert len(glyphs["missing"]) >= len(glyphs["checked"]) // 2, glyphs


def test_report_links_each_learner_to_their_own_feedback_page(out, watched):
    view = watched()
    report = view.page
    report.goto((out / "report.html").as_uri())
    for href in report.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
        target = Path(unquote(urlparse(href).path))
        assert href.startswith("file://") and target.is_file(), f"report.html links to a missing file: {href}"

    rows = report.locator("tr", has=report.locator("a[href*='feedback/']"))
    linked = []
    for i in range(rows.count()):
        student = rows.nth(i).locator("td").first.inner_text().strip()
        linked.append(student)
        rows.nth(i).locator("a[href*='feedback/']").click()
        report.wait_for_url("**/feedback/**")
        assert report.locator("h1").inner_text() == f"採点結果: {A}"
        shown = report.locator("tr", has=report.locator("th", has_text="学生 ID")).locator("td").inner_text()
        assert shown == student
        not_full = report.locator(".exercise.zero, .exercise.partial").all_inner_texts()
        if LEARNERS[student]:
            assert len(not_full) == 1 and "relu" in not_full[0], not_full
        else:
            assert not_full == []
        report.go_back()
        report.wait_for_url("**/report.html")
    assert sorted(linked) == sorted(LEARNERS)
    assert view.problems == []
