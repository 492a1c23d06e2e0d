"""One module per assignment; each defines CHECKS: dict[str, Check] in notebook order."""
