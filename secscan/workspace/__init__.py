"""The scanned tree: git (top level, merge base, changed files), which files there are, which
part of the project each is (source, test, vendored, generated), what imports what, and
whether a path a trusted input names lies in the tree.

Imports `settings`, `model` and `util`.
"""
