"""Which hints a learner asked for, as recorded in the outputs of the submitted notebook.

``course.hints.hint`` shows each hint as display data whose metadata is
``{"course": {"hint": NAME, "step": K}}``; the saved notebook keeps it. Only names of the
course's own hints and small whole steps count: anything else in a learner's file is ignored.
The counts are for the class report only and never change a grade.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

MAX_STEP = 9  # hints have 2 or 3 steps; a larger number is not ours


def hints_used(nb: Mapping, known: Collection[str]) -> dict[str, int]:
    """name → the highest step shown, over every output of every cell of ``nb`` (a notebook dict)."""
    used: dict[str, int] = {}
    for cell in nb.get("cells", []) if isinstance(nb.get("cells"), list) else []:
        outputs = cell.get("outputs") if isinstance(cell, Mapping) else None
        for output in outputs if isinstance(outputs, list) else []:
            metadata = output.get("metadata") if isinstance(output, Mapping) else None
            record = metadata.get("course") if isinstance(metadata, Mapping) else None
            if not isinstance(record, Mapping):
                continue
            name, step = record.get("hint"), record.get("step")
            if isinstance(name, str) and name in known and type(step) is int and 1 <= step <= MAX_STEP:
                used[name] = max(used.get(name, 0), step)
    return dict(sorted(used.items()))
