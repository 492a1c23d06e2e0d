#!/usr/bin/env bash
# The main job of the README: set up .venv and run the demo on the embedded digits data.
set -euo pipefail
cd "$(dirname "$0")"
bash .ci/setup-venv
.venv/bin/python -m autograder demo --out demo_out
