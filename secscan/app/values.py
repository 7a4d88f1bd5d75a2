"""The values the command line shows: what the use cases return, and the pure helpers that
present them, re-exported for `secscan.cli` (which imports only the app layer).

The terminal views (cli/views/) stay with the CLI because they are terminal presentation
(rich text, widths, colours); what they draw is the model's frozen values and the report
model. Naming that vocabulary here keeps the CLI on one layer: a view never reaches past the
use cases into the stages, and a change below shows in this one list.
"""

from __future__ import annotations

from secscan.history import ENV_URL as HISTORY_ENV
from secscan.history.model import Source
from secscan.model.decision import ControlState, Decision
from secscan.model.fates import gaps_by_type
from secscan.model.findings import (
    APART_SCOPES,
    Finding,
    FindingKind,
    RunStatus,
    ScannerRun,
    ScanResult,
    Severity,
    headline_order,
)
from secscan.model.redact import mask_name, redact
from secscan.model.results import RESULTS_FILE, SavedResults
from secscan.policy.baseline import BASELINE_FILE
from secscan.policy.waivers import WAIVERS_FILE
from secscan.scan.pipeline import Phase, ProgressEvent
from secscan.scanners.base import ScanRequest
from secscan.settings.toollock import RESULTS_KEY as TOOLS_LOCK_KEY

__all__ = [
    "APART_SCOPES",
    "BASELINE_FILE",
    "HISTORY_ENV",
    "RESULTS_FILE",
    "WAIVERS_FILE",
    "ControlState",
    "Decision",
    "Finding",
    "FindingKind",
    "Phase",
    "ProgressEvent",
    "RunStatus",
    "TOOLS_LOCK_KEY",
    "SavedResults",
    "ScanRequest",
    "ScanResult",
    "ScannerRun",
    "Severity",
    "Source",
    "gaps_by_type",
    "headline_order",
    "mask_name",
    "redact",
]
