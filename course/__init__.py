"""ゼロから実装するディープラーニング: the learner-side helpers of the course.

Learner tools (shipped to students):

- :mod:`course.gradcheck`: relative error and centred numerical gradients for checking layers;
- :mod:`course.data`: the embedded digits data set (scikit-learn, offline) and mini-batches;
- :mod:`course.mnist`: real MNIST read from local IDX files;
- :mod:`course.plotting`: figures whose Japanese labels render;
- :mod:`course.progress`: progress bars;
- :mod:`course.hints`: stepped hints for every exercise, ``hint("softmax")``.

Instructor-only (never shipped, see :mod:`course.bundle`): :mod:`course.reference`,
the reference solutions that every exercise and hidden test is checked against.
"""

__version__ = "0.1.0"
