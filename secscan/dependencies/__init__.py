"""Dependency sources: manifest and lock-file parsers, below the scanners that use them."""
