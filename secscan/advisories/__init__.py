"""Vulnerability advisories: OSV records, version matching, a local mirror and its OSV server."""
