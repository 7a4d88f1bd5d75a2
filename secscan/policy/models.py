"""The policy library as typed, frozen data: frameworks, mapping rules, gate profiles."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from secscan.model.findings import FindingKind, Scope, Severity
from secscan.model.targets import INFRASTRUCTURE, OF_FINDING_KIND, TargetKind

SCHEMA_VERSION = 1
#: Framework ids name a file's controls everywhere: `iso27001-2022:A.8.28`.
FRAMEWORK_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
#: Control ids as the standard writes them, without spaces: `A.8.28`, `Art.32(1)(a)`, `CC6.1`.
CONTROL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.()_/-]*$")
#: Mapping rule and profile names: what reasons and reports cite.
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Glob = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def qualify(framework: str, control: str) -> str:
    """The one spelling of a control id outside its framework file: `framework:control`."""
    return f"{framework}:{control}"


def _severity(v: object) -> object:
    if isinstance(v, str):
        word = v.strip().lower()
        if word not in Severity._value2member_map_:
            raise ValueError(f"unknown severity {v!r}; use one of {', '.join(Severity)}")
        return word
    return v


def _version(v: int) -> int:
    if v != SCHEMA_VERSION:
        raise ValueError(f"policy schema version must be {SCHEMA_VERSION}")
    return v


# --- frameworks ------------------------------------------------------------------------


class Control(_Strict):
    id: Text
    title: Text
    theme: Text
    #: One line: what secscan checks as evidence for this control.
    statement: Text
    #: Mapping rule ids (from any mapping file) that evidence this control, in addition to
    #: the rules that name it: a new framework can crosswalk to existing rules.
    rules: tuple[Text, ...] = ()
    #: Finding kinds whose scanners must have run (any one of them) for the control to count
    #: as assessed. Empty: any kind its rules match. Set it when a narrow rule of another
    #: kind would otherwise make the control look assessed (A.8.8 needs a dependency scan).
    evidence: tuple[FindingKind, ...] = ()
    #: Target kinds (any one of them) that must have been analyzed, by a scanner evidencing
    #: one of the control's rules, for the control to count as assessed: a network control
    #: needs Terraform, CloudFormation or Kubernetes, never workflow YAML. Empty: any target
    #: that evidences one of its rules.
    targets: tuple[TargetKind, ...] = ()
    #: What scanner evidence cannot show for this control, in one line (it needs other
    #: evidence: process records, interviews, runtime configuration).
    limits: str = ""

    @field_validator("id")
    @classmethod
    def _control_id(cls, v: str) -> str:
        if not CONTROL_ID.match(v):
            raise ValueError(f"control id {v!r} must be letters, digits and . ( ) _ / - only")
        return v


class FrameworkInfo(_Strict):
    id: Text
    title: Text
    version: str | None = None
    #: Where the control titles come from (they are facts, quoted from the standard).
    source: Text
    url: str | None = None
    #: What of the standard this file leaves out because scanners cannot evidence it, and
    #: what evidence it needs instead; shown in every compliance document.
    excluded: str = ""

    @field_validator("id")
    @classmethod
    def _framework_id(cls, v: str) -> str:
        if not FRAMEWORK_ID.match(v):
            raise ValueError(f"framework id {v!r} must be lower-case letters, digits and . _ -")
        return v


class FrameworkFile(_Strict):
    version: int = SCHEMA_VERSION
    framework: FrameworkInfo
    controls: tuple[Control, ...] = ()

    _v = field_validator("version")(_version)


class Framework(_Strict):
    """A loaded framework: its header, its controls, and the file it came from."""

    info: FrameworkInfo
    controls: tuple[Control, ...]
    source_file: str

    @property
    def id(self) -> str:
        return self.info.id


# --- mapping rules ---------------------------------------------------------------------


class Match(_Strict):
    """What a finding must look like for a rule to apply: every given field must hold;
    within a list, any entry may.
    """

    #: Required: which kinds of finding this rule can see. It also decides which scanners
    #: count as evidence for the rule's controls (a scanner of one of these kinds).
    kinds: tuple[FindingKind, ...] = Field(min_length=1)
    #: Scanner name globs (`bandit`, `trivy-*`); empty means any scanner of those kinds.
    scanners: tuple[Glob, ...] = ()
    #: Rule id globs as the scanner reports them (`B6*`, `sql-injection`), case-insensitive.
    rules: tuple[Glob, ...] = ()
    #: trivy check id globs (`AWS-0086`, `KSV-*`); old forms (`DS001`, `AVD-DS-0001`) work too.
    checks: tuple[Glob, ...] = ()
    cwe: tuple[Annotated[int, Field(gt=0)], ...] = ()
    tags: tuple[Text, ...] = ()
    min_severity: Severity | None = None

    _sev = field_validator("min_severity", mode="before")(_severity)


class MappingRule(_Strict):
    id: Text
    description: str = ""
    match: Match
    #: Framework-qualified control ids: `iso27001-2022:A.8.28`, `gdpr:Art.32(1)(a)`.
    controls: tuple[Text, ...] = Field(min_length=1)
    #: Why a finding like this is evidence against these controls: auditors read it.
    rationale: Text
    #: Target kinds whose analysis evidences this rule: that none of them held a finding is
    #: what a pass means. Empty: every kind its scanners read, except that an iac rule is
    #: evidenced by infrastructure code only (targets.INFRASTRUCTURE), never by CI YAML.
    targets: tuple[TargetKind, ...] = ()
    #: The rule whose match this one reuses, if any (for people: where the match is written).
    extends: str | None = None

    def evidence_targets(self, kind: FindingKind) -> tuple[TargetKind, ...] | None:
        """The target kinds a run of this finding kind must have analyzed for the rule to be
        evaluated; None when any target of the run counts.
        """
        readable = OF_FINDING_KIND[kind]
        declared = tuple(t for t in self.targets if t in readable)
        if declared:
            return declared
        if kind is FindingKind.IAC:
            return INFRASTRUCTURE
        return None

    @field_validator("id")
    @classmethod
    def _rule_id(cls, v: str) -> str:
        if not RULE_ID.match(v):
            raise ValueError(f"rule id {v!r} must be lower-case letters, digits and . _ -")
        return v


class MappingRuleSpec(_Strict):
    """A mapping rule as written in a file: its own `match`, or `extends` another rule's
    (a framework's own mapping file reuses the shipped matches with its own controls and
    rationale, so no match is copied by hand).
    """

    id: Text
    description: str = ""
    match: Match | None = None
    #: The id of a rule with its own `match` (no chains): this rule matches what it matches,
    #: and is evidenced by its targets unless `targets` is given.
    extends: Text | None = None
    controls: tuple[Text, ...] = Field(min_length=1)
    rationale: Text
    targets: tuple[TargetKind, ...] = ()

    @field_validator("id")
    @classmethod
    def _rule_id(cls, v: str) -> str:
        if not RULE_ID.match(v):
            raise ValueError(f"rule id {v!r} must be lower-case letters, digits and . _ -")
        return v

    @model_validator(mode="after")
    def _match_or_extends(self) -> MappingRuleSpec:
        if (self.match is None) == (self.extends is None):
            raise ValueError("a rule has either its own `match` or `extends` another rule")
        return self


class MappingFile(_Strict):
    version: int = SCHEMA_VERSION
    rules: tuple[MappingRuleSpec, ...] = ()

    _v = field_validator("version")(_version)


# --- gate profiles ---------------------------------------------------------------------

#: A fail threshold: a severity, or `none` for "never fails on severity".
Threshold = Severity | Literal["none"]
ErrorAction = Literal["fail", "warn"]
NotAssessedAction = Literal["fail", "warn", "ignore"]
#: Whether an inline `# nosec` / `# nosemgrep` / `trivy:ignore` in the scanned tree hides
#: its finding from the gate ("honour") or the finding counts unless a waiver covers it.
InlineAction = Literal["honour", "ignore"]


def _threshold(v: object) -> object:
    if isinstance(v, str) and v.strip().lower() == "none":
        return "none"
    return _severity(v)


class SeverityThresholds(_Strict):
    """Per finding kind, the lowest severity that fails the gate (`none`: never)."""

    default: Threshold = Severity.HIGH
    code: Threshold | None = None
    dependency: Threshold | None = None
    image: Threshold | None = None
    iac: Threshold | None = None
    secret: Threshold | None = None
    license: Threshold | None = None
    privacy: Threshold | None = None

    _t = field_validator(
        "default",
        "code",
        "dependency",
        "image",
        "iac",
        "secret",
        "license",
        "privacy",
        mode="before",
    )(_threshold)

    def for_kind(self, kind: FindingKind) -> Threshold:
        # A kind with no key of its own (policy: judged by its own gate rule) uses the default.
        given: Threshold | None = getattr(self, kind.value, None)
        return self.default if given is None else given


class MaxFindings(_Strict):
    """At most `max` counted findings at or above `min_severity` (of `kind`, if given)."""

    max: int = Field(ge=0)
    min_severity: Severity = Severity.INFO
    kind: FindingKind | None = None

    _sev = field_validator("min_severity", mode="before")(_severity)


class ReportSettings(_Strict):
    #: Findings below this are kept in the results but left out of reports. A finding that
    #: fails the gate is always reported, whatever this says.
    min_severity: Severity = Severity.INFO

    _sev = field_validator("min_severity", mode="before")(_severity)


#: Findings in these scopes are reported but fail no gate unless a profile says otherwise:
#: test code, examples and docs are not the product. Secrets fail in every scope.
DEFAULT_SCOPE_THRESHOLDS: Mapping[Scope, Threshold] = {
    Scope.TEST: "none",
    Scope.EXAMPLE: "none",
    Scope.DOCS: "none",
}


class GateSettings(_Strict):
    severity: SeverityThresholds = SeverityThresholds()
    #: Per scope, the lowest severity that fails for a finding there, replacing its kind's
    #: and controls' thresholds when that is looser (`none`: never fails). A scope not
    #: named keeps the kind thresholds; secrets keep theirs in every scope.
    scopes: Mapping[Scope, Threshold] = Field(
        default_factory=lambda: dict(DEFAULT_SCOPE_THRESHOLDS)
    )
    #: Per framework-qualified control id, a stricter threshold for findings mapped to that
    #: control (a finding mapped to several controls meets the strictest).
    controls: Mapping[Text, Threshold] = Field(default_factory=dict)
    max_findings: tuple[MaxFindings, ...] = ()
    #: Count only findings that are not in the baseline (all count when there is none).
    new_only: bool = False
    scanner_error: ErrorAction = "fail"
    not_assessed: NotAssessedAction = "warn"
    #: Files in scope that no tool could read (syntax errors, too large, links out of the
    #: root): their flaws are unknown, so they are at least always reported.
    not_analyzed: NotAssessedAction = "warn"
    #: Under `--new-since`: a file the change adds or changes that a selected scanner could
    #: not analyze (too large, unparsable, timed out, ignored by the tool). The change
    #: under review chose its content, so its flaws being unknown fails by default.
    changed_not_analyzed: NotAssessedAction = "fail"
    #: File types (`.sh`, `.ipynb`, `#!python`, `(no extension)`) that fail the gate when a
    #: file of that type is outside coverage (no selected scanner has a rule for it); every
    #: other type outside coverage is listed in a warning.
    uncovered_types: tuple[Text, ...] = ()
    expired_waiver: ErrorAction = "warn"
    #: A gate setting the change under review weakened (a `policy` finding): never waivable,
    #: never in a baseline; `warn` only reports it.
    weakened_settings: ErrorAction = "fail"
    #: The longest a waiver may run, from its `created` day to its `expires` day. A waiver
    #: over it is a policy error (exit 2), so accepted risks are re-reviewed on a schedule.
    max_waiver_days: int = Field(default=90, ge=1, le=366)
    #: The tree under review wrote its inline suppressions; a profile that does not say
    #: it trusts them counts every suppressed finding like any other.
    inline_suppressions: InlineAction = "ignore"
    #: A counted finding CISA's KEV catalog lists (exploited in the wild), whatever its
    #: severity: `fail`, `warn`, or `ignore` (its severity alone decides). secscan.policy.risk
    kev: NotAssessedAction = "ignore"
    #: A counted finding whose EPSS score is at least this (0-1) fails whatever its severity.
    epss_at_least: float | None = Field(default=None, ge=0.0, le=1.0)
    #: Whether a tools lock must be in force (secscan/app/toollock.py): `required` (none:
    #: exit 2 before any tool runs), `warn` (none: a warning in every report), `off`. A lock
    #: that is in force is enforced whatever this says.
    tools_lock: Literal["required", "warn", "off"] = "off"

    @field_validator("scopes", mode="before")
    @classmethod
    def _scope_thresholds(cls, v: object) -> object:
        if isinstance(v, dict):
            return {**DEFAULT_SCOPE_THRESHOLDS, **{k: _threshold(t) for k, t in v.items()}}
        return v

    @field_validator("controls", mode="before")
    @classmethod
    def _control_thresholds(cls, v: object) -> object:
        if isinstance(v, dict):
            return {k: _threshold(t) for k, t in v.items()}
        return v


class Deadlines(_Strict):
    """Days to remediate an open finding, per severity (`null`: no deadline), counted from the
    run that first saw it open; history reports the age and breach of every open finding."""

    critical: int | None = Field(default=7, ge=0)
    high: int | None = Field(default=30, ge=0)
    medium: int | None = Field(default=90, ge=0)
    low: int | None = Field(default=180, ge=0)
    info: int | None = Field(default=None, ge=0)

    def days(self) -> dict[Severity, int | None]:
        return {s: getattr(self, s.value) for s in Severity}


class ProfileFile(_Strict):
    version: int = SCHEMA_VERSION
    description: Text
    #: Framework ids this profile judges; empty means every loaded framework.
    frameworks: tuple[Text, ...] = ()
    report: ReportSettings = ReportSettings()
    gate: GateSettings = GateSettings()
    deadlines: Deadlines = Deadlines()

    _v = field_validator("version")(_version)


class Profile(_Strict):
    name: str
    description: str
    frameworks: tuple[str, ...] = ()
    report: ReportSettings = ReportSettings()
    gate: GateSettings = GateSettings()
    deadlines: Deadlines = Deadlines()
    source_file: str = "<memory>"

    def threshold(
        self, kind: FindingKind, controls: tuple[str, ...] = (), scope: Scope = Scope.SOURCE
    ) -> Threshold:
        """The lowest severity that fails for a finding: the strictest of its kind's threshold
        and the thresholds of the controls it maps to, loosened to its scope's threshold
        (never for secrets: a committed credential is leaked wherever it sits).
        """
        out = self.gate.severity.for_kind(kind)
        for c in controls:
            t = self.gate.controls.get(c)
            if t is not None and (out == "none" or (t != "none" and t < out)):
                out = t
        st = self.scope_threshold(kind, scope)
        if st is not None and out != "none" and (st == "none" or st > out):
            out = st
        return out

    def scope_threshold(self, kind: FindingKind, scope: Scope) -> Threshold | None:
        """The scope's own threshold for a finding of this kind, or None (kind thresholds)."""
        if kind is FindingKind.SECRET:
            return None
        return self.gate.scopes.get(scope)


# --- the whole library -----------------------------------------------------------------


class Policy(_Strict):
    """Everything the engine needs, validated and cross-referenced."""

    frameworks: tuple[Framework, ...] = ()
    rules: tuple[MappingRule, ...] = ()
    profiles: Mapping[str, Profile] = Field(default_factory=dict)
    #: The directories this policy was merged from, shipped library first.
    sources: tuple[str, ...] = ()
    #: Not errors, but worth telling (a control no rule evidences).
    warnings: tuple[str, ...] = ()

    def framework(self, framework_id: str) -> Framework | None:
        return next((f for f in self.frameworks if f.id == framework_id), None)

    def rule(self, rule_id: str) -> MappingRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)
