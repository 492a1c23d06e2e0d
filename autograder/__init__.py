"""The instructor's side of the course: building what learners receive, and grading.

Run ``python -m autograder --help`` (or ``autograder --help``) for the commands.
"""
