"""secscan: run real security scanners, judge what they find against policy, report."""

__version__ = "0.1.0"
