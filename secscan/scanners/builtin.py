"""The built-in scanners, by name: class references, imported like any other module.

Adding a built-in scanner is one module in this folder and one line here; a third party
adds a `secscan.scanners` entry point in its own package instead (`registry.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from secscan.scanners.bandit import BanditScanner
from secscan.scanners.base import Scanner
from secscan.scanners.crossflow import CrossFlowScanner
from secscan.scanners.gitlab_ci import GitLabCiScanner
from secscan.scanners.licenses import LicenseScanner
from secscan.scanners.osv_deps import OsvDepsScanner
from secscan.scanners.pip_audit import PipAuditScanner
from secscan.scanners.privacy import PrivacyScanner
from secscan.scanners.semgrep import SemgrepScanner
from secscan.scanners.trivy_config import TrivyConfigScanner
from secscan.scanners.trivy_image import TrivyImageScanner
from secscan.scanners.trivy_secrets import TrivySecretsScanner
from secscan.scanners.zizmor import ZizmorScanner

#: name -> scanner class; the order is the order a default scan lists them in.
BUILTINS: Mapping[str, type[Scanner]] = MappingProxyType(
    {
        "bandit": BanditScanner,
        "semgrep": SemgrepScanner,
        "pip-audit": PipAuditScanner,
        "iac": TrivyConfigScanner,
        "secrets": TrivySecretsScanner,
        "image": TrivyImageScanner,
        "osv": OsvDepsScanner,
        "license": LicenseScanner,
        "privacy": PrivacyScanner,
        "crossflow": CrossFlowScanner,
        "github-actions": ZizmorScanner,
        "gitlab-ci": GitLabCiScanner,
    }
)
