"""Fixtures for the policy tests (helpers live in policydata.py)."""

from __future__ import annotations

import pytest

from secscan.policy.loader import load_policy
from secscan.policy.models import Policy


@pytest.fixture(scope="session")
def shipped() -> Policy:
    """The shipped policy library, loaded once: it is frozen, tests cannot change it."""
    return load_policy()
