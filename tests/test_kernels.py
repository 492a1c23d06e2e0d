"""Kernels the course's tools start talk over private IPC sockets: no port race, no English warning."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.nbgrader_setup import nbgrader_config
from course.kernels import PrivateKernelManager

REPO = Path(__file__).resolve().parents[1]
posix_only = pytest.mark.skipif(os.name != "posix", reason="IPC sockets exist only on POSIX systems")


@posix_only
def test_a_notebook_runs_on_private_sockets_that_are_removed_afterwards():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    client = NotebookClient(nb, kernel_name="python3", kernel_manager_class=PrivateKernelManager)
    with client.setup_kernel():
        km = client.km
        folder = Path(km.ip).parent
        assert km.transport == "ipc" and folder.name.startswith("dl-course-kernel-")
        assert all(isinstance(port, int) for port in (km.shell_port, km.iopub_port, km.hb_port))
        assert {p.name for p in folder.iterdir()} >= {f"k-{km.shell_port}", f"k-{km.iopub_port}"}
        client.execute_cell(nb.cells[0], 0)
    assert nb.cells[0].outputs[0]["text"] == "42\n"
    del client, km
    gc.collect()
    assert not folder.exists()


@posix_only
def test_nbgrader_runs_use_ipc_too(tmp_path):
    config = nbgrader_config(tmp_path)
    assert config.KernelManager.transport == "ipc"
    assert Path(config.KernelManager.ip).parent.is_dir()


@posix_only
def test_the_learners_self_check_prints_no_english_kernel_warning(tmp_path):
    notebook = tmp_path / "ch01_activation.ipynb"
    notebook.write_bytes((REPO / "release" / "ch01_activation" / "ch01_activation.ipynb").read_bytes())
    run = subprocess.run(
        [sys.executable, "-m", "course.selfcheck", str(notebook)], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 1 and "公開テスト: 0 / " in run.stdout
    assert "WARNING" not in run.stderr and "TCP" not in run.stderr, run.stderr
