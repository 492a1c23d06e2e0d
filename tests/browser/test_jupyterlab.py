"""A learner's first exercise in JupyterLab, in Chromium: the public test fails on the stub, and
passes once the learner has written the answer into the solution cell and run it.

The test starts `jupyter lab` from this Python on a free localhost port with a token, its own
config, data and runtime folders, and a root folder holding a copy of the release notebook; it
stops the server at the end.
"""

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest

from autograder.build import REPO_ROOT
from autograder.nbgrader_setup import RELEASE_DIRECTORY, SOURCE_DIRECTORY
from autograder.synthetic import solution_cells

pytestmark = pytest.mark.xdist_group("browser")  # one worker: one browser

A = "ch01_activation"
TIMEOUT_MS = 90_000  # JupyterLab's first load and the kernel's start, on a busy CI machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """(base URL, token, root folder) of a JupyterLab server serving a copy of the release notebook."""
    root = tmp_path / "learner"
    root.mkdir()
    (root / f"{A}.ipynb").write_bytes((REPO_ROOT / RELEASE_DIRECTORY / A / f"{A}.ipynb").read_bytes())
    config = tmp_path / "jupyter-config"
    # no "get Jupyter news?" notification over the notebook, no look-up of new versions
    settings = config / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8"
    )
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_DATA_DIR": str(tmp_path / "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
    }
    port, token = _free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1"]
    command += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]
    command += [f"--ServerApp.root_dir={root}"] + (["--allow-root"] if os.geteuid() == 0 else [])
    log = tmp_path / "jupyterlab.log"
    with open(log, "wb") as log_file:
        server = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).close()
                break
            except OSError:
                server_log = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                assert server.poll() is None, f"jupyter lab exited ({server.returncode}):\n{server_log}"
                assert time.monotonic() < deadline, f"jupyter lab did not answer within 60 s:\n{server_log}"
                time.sleep(0.25)
        yield base, token, root
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)  # the server shuts its kernel down
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def _first_exercise() -> tuple[int, int, str]:
    """Indices of the first solution cell and of the public test cell after it, and the model answer."""
    cells = nbformat.read(REPO_ROOT / RELEASE_DIRECTORY / A / f"{A}.ipynb", as_version=4).cells

    def nbgrader(i: int) -> dict:
        return cells[i].metadata.get("nbgrader", {})

    solution = next(i for i, c in enumerate(cells) if c.cell_type == "code" and nbgrader(i).get("solution"))
    test = next(i for i in range(solution + 1, len(cells)) if nbgrader(i).get("grade"))
    answers = solution_cells(nbformat.read(REPO_ROOT / SOURCE_DIRECTORY / A / f"{A}.ipynb", as_version=4))
    return solution, test, answers[nbgrader(solution)["grade_id"]]


def test_learner_fills_the_first_exercise_and_its_public_test_passes(lab, watched, artifacts):
    from playwright.sync_api import expect

    base, token, _ = lab
    solution, test, answer = _first_exercise()
    view = watched(viewport={"width": 1400, "height": 1000})
    page = view.page
    page.goto(f"{base}/lab/tree/{A}.ipynb?token={token}")

    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")

    def cell(i: int):
        return notebook.locator(f".jp-Cell[data-windowed-list-index='{i}']")

    def run(i: int) -> None:
        """Run cell i and wait until it has run; a key press lost while the page settles is repeated."""
        prompt = cell(i).locator(".jp-InputArea-prompt")
        before = prompt.inner_text()  # "[ ]:" or the count of its last run
        for _ in range(3):
            prompt.click()  # select the cell (command mode)
            page.keyboard.press("Shift+Enter")
            try:
                expect(prompt).not_to_have_text(before, timeout=10_000)  # "[*]:", then a new count
                break
            except AssertionError:
                continue
        expect(prompt).to_have_text(re.compile(r"\[\d+\]"), timeout=TIMEOUT_MS)

    expect(cell(test)).to_be_visible(timeout=TIMEOUT_MS)
    expect(notebook.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(1, timeout=TIMEOUT_MS)
    run(1)  # the set-up cell: imports and the check functions
    run(solution)  # the stub as released
    run(test)  # its public test fails
    expect(cell(test).locator(".jp-OutputArea-output")).to_contain_text("NotImplementedError", timeout=TIMEOUT_MS)

    editor = cell(solution).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(answer)  # as pasted: no auto-indent or closing brackets added
    lines = [line.rstrip("\n") for line in editor.locator(".cm-line").all_inner_texts()]
    assert lines == answer.split("\n")
    run(solution)
    run(test)

    output = cell(test).locator(".jp-OutputArea-output")
    expect(output).to_contain_text("公開テスト: OK", timeout=TIMEOUT_MS)
    assert "Error" not in output.inner_text()
    cell(test).scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "jupyterlab-first-exercise.png")
    assert view.problems == []
