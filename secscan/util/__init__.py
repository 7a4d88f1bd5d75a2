"""Plumbing every stage shares: atomic writes, bounded file reads, JSON/YAML/text codecs,
subprocesses, the Python parse lock, the cache directory and its signing key.

Imports only `secscan.errors` and the standard library or third-party packages: nothing here
knows what a finding, a scanner or a policy is.
"""
