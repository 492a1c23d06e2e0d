"""Each source notebook executes from a fresh kernel within the course's time budget."""

import copy

import nbformat
import pytest

from autograder.build import REPO_ROOT, assignment_ids, execute_notebook

#: The budget of the chapters issue: at most 20 s per notebook on 2 cores.
SECONDS_PER_NOTEBOOK = 20.0


@pytest.mark.timing  # run alone by .ci/run, not beside other tests: the budget is wall-clock time
@pytest.mark.parametrize("assignment", assignment_ids())
def test_executes_within_budget_without_errors(assignment):
    folder = REPO_ROOT / "source_notebooks" / assignment
    nb = nbformat.read(folder / f"{assignment}.ipynb", as_version=4)
    fresh = copy.deepcopy(nb)
    seconds = execute_notebook(fresh, folder)
    errors = [o for c in fresh.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors[0]
    stderr = [o.text for c in fresh.cells if c.cell_type == "code" for o in c.outputs if o.get("name") == "stderr"]
    assert not stderr, f"{assignment} writes to stderr (nbgrader would zero a test cell that does): {stderr[0][:300]}"
    assert seconds <= SECONDS_PER_NOTEBOOK, f"{assignment} took {seconds:.1f} s"
