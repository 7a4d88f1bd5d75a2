"""The scanned tree: git (top level, merge base, changed files), which files there are, which
part of the project each is (source, test, vendored, generated) and what imports what.

Imports `settings`, `model` and `util`.
"""
