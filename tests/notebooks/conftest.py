"""Fixtures for the notebook invariants: a temporary nbgrader course with its own gradebook."""

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from autograder.build import REPO_ROOT
from autograder.nbgrader_setup import SOURCE_DIRECTORY, nbgrader_config


@pytest.fixture(scope="session")
def course_dir(tmp_path_factory) -> Callable[[str], Path]:
    """``course_dir(assignment)`` → root of a temporary nbgrader course in which that
    assignment has been generated (once per session)."""
    from nbgrader.apps import NbGraderAPI

    root = tmp_path_factory.mktemp("course")
    generated: set[str] = set()

    def prepare(assignment: str) -> Path:
        if assignment not in generated:
            shutil.copytree(
                REPO_ROOT / SOURCE_DIRECTORY / assignment, root / SOURCE_DIRECTORY / assignment, dirs_exist_ok=True
            )
            result = NbGraderAPI(config=nbgrader_config(root)).generate_assignment(assignment)
            assert result["success"], result.get("log")
            generated.add(assignment)
        return root

    return prepare
