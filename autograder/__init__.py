"""The instructor's side of the course: building what learners receive, and grading.

Run ``python -m autograder --help`` (or ``autograder --help``) for the commands.
"""

import sys

# nbformat imports jsonschema, which imports ``rfc3987_syntax`` (when installed, as jupyter_events
# has it installed) only to check the "iri" string format; that package compiles a grammar at
# import, about 1.5 s in every process of the grader (the command, each worker). No schema we
# validate (nbformat's) uses that format, so the import is declined here: jsonschema then simply
# has no "iri" checker. Kept as ``setdefault`` so that a process that imported it already keeps it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
