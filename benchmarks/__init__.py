"""Benchmarks of the course on this machine: ``python -m benchmarks.run`` (see ``benchmarks/run.py``).

Parts: autograding throughput (stock ``nbgrader autograde`` against ``autograder grade``),
notebook execution and the CI notebook checks, the reference kernels against PyTorch, and the
grader's peak memory. Results go to ``benchmarks/RESULTS.md`` as Markdown tables.
"""
