"""Properties of an exercise that its public tests and its hidden checks both verify.

A property is a function of plain values (arrays and numbers the learner's code returned) that
raises :class:`course.checks.CheckFailure` with a Japanese diagnostic naming the likely cause.
The public tests call it on the fixed inputs of the notebook; the hidden checks call it on fresh
inputs, through their runner. One list, one set of diagnostics, whoever runs it.

These modules ship with the learner's package: they say what is checked (which the docstrings
state anyway), never how to compute the answer.
"""
