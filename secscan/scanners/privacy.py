"""Personal data in code: which categories a project declares, stores, and where they flow.

Read in-process, nothing run, nothing downloaded. Declarations: the fields of Django and
SQLAlchemy models (stored in a database), of Pydantic models, dataclasses and TypedDicts
(declared), and the columns of SQL `CREATE TABLE` statements (stored), each classified by
its name (and Django/Pydantic field type) into a data category of the fideslang taxonomy
(`policies/privacy/fideslang-taxonomy.yaml`). Flows: within each function, a value that
holds personal data (a classified name, attribute or dict key, or a variable assigned
from one) passed to a logger, a third-party SDK (analytics, error tracking, marketing,
messaging), an outgoing HTTP request or a file export. A value is read by its shape: a
comparison is a bool, `len(x)` a count, and a call's result holds its arguments only when
the call reshapes them (`str`, `json.dumps`, `.format`, `.get`). A name saying where a
credential is kept (`credentials_path`, `api_key_file`) is not the credential, and
credentials an HTTP call presents to its recipient (headers, `auth=`, an OAuth 2.0 token
request's body) are used, not disclosed; in a URL, a query or another body they are a flow.

Findings: `PRIVACY-FIELD` (info: an inventory entry), and one rule per kind of flow whose
severity follows the data: special categories (GDPR Art. 9: health, biometric, genetic,
beliefs, ...), credentials, government identifiers and payment data are high; other
personal data medium into logs and third parties, low into HTTP requests and files.
The inventory report (`--format privacy-inventory`) is built from these findings.

The recognisers are secscan's own: names and types, not a vendor's catalogue (Bearer's is
under the Elastic License 2.0, Privado's rules under the Commons Clause).
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar

from secscan.errors import ConfigError
from secscan.model.findings import Confidence, Finding, FindingKind, Location, NotAnalyzed, Severity
from secscan.scanners._own_rules import TableRules
from secscan.scanners.base import (
    ScanContext,
    ScanOutcome,
)
from secscan.util import files as _files
from secscan.util import pysource
from secscan.util.resources import data_dir
from secscan.util.yamlio import load_yaml, parse_yaml

FIELD = "PRIVACY-FIELD"
LOG = "PRIVACY-LOG"
THIRD_PARTY = "PRIVACY-THIRD-PARTY"
HTTP = "PRIVACY-HTTP"
FILE = "PRIVACY-FILE"
COMMITTED = "PRIVACY-DATA-COMMITTED"

_TITLES: Mapping[str, str] = {
    FIELD: "Personal data declared",
    LOG: "Personal data written to a log",
    THIRD_PARTY: "Personal data sent to a third-party SDK",
    HTTP: "Personal data sent in an outgoing HTTP request",
    FILE: "Personal data written to a file or export",
    COMMITTED: "Real personal data committed to the repository",
}
_FIX: Mapping[str, str] = {
    FIELD: "Record the field's purpose, legal basis and retention in the record of processing.",
    LOG: "Log an identifier that is not personal data, or mask/pseudonymise the value.",
    THIRD_PARTY: "Send only what the processor needs (pseudonymous ids), under a processing "
    "agreement, and list the recipient in the record of processing.",
    HTTP: "Check the recipient is the intended processor, over TLS, and minimise the payload.",
    FILE: "Restrict, encrypt and expire exports of personal data.",
    COMMITTED: "Remove the data from the repository and its history, replace it with "
    "synthetic test data, and assess whether the exposure is a personal data breach "
    "(GDPR Art. 33).",
}

# --- classification ------------------------------------------------------------------------

#: (pattern over a snake_case identifier, fideslang data category). First match wins.
_NAME_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), key)
    for p, key in (
        (
            r"(^|_)(password|passwd|pwd|passphrase)(_|$)|password_hash|hashed_password",
            "user.authorization.password",
        ),
        (
            r"(^|_)(api_key|apikey|access_token|refresh_token|auth_token|secret_key|credentials?)(_|$)",
            "user.authorization.credentials",
        ),
        (r"(^|_)e_?mail(s|_address)?(_|$)", "user.contact.email"),
        (r"(^|_)fax(_|$)", "user.contact.fax_number"),
        (
            r"(^|_)(phone|mobile|msisdn|telephone|tel)(_number|_no)?(_|$)",
            "user.contact.phone_number",
        ),
        (r"(^|_)(first_name|given_name|forename|firstname)(_|$)", "user.name.first"),
        (r"(^|_)(last_name|surname|family_name|lastname)(_|$)", "user.name.last"),
        (r"(^|_)(full_name|fullname|display_name|legal_name)(_|$)", "user.name"),
        (r"^(username|user_name|login|screen_name)$", "user.account.username"),
        (
            r"(^|_)(date_of_birth|dob|birth_date|birthdate|birthday)(_|$)",
            "user.demographic.date_of_birth",
        ),
        (r"^age$", "user.demographic.age_range"),
        (r"^(gender|sex)$", "user.demographic.gender"),
        (r"(^|_)(ethnicity|ethnic_origin|race)(_|$)", "user.demographic.race_ethnicity"),
        (r"(^|_)(religion|religious_belief|faith)(_|$)", "user.demographic.religious_belief"),
        (r"(^|_)sexual_orientation(_|$)", "user.demographic.sexual_orientation"),
        (
            r"(^|_)(political_opinion|political_party|political_affiliation)(_|$)",
            "user.demographic.political_opinion",
        ),
        (r"(^|_)marital_status(_|$)", "user.demographic.marital_status"),
        (
            r"(^|_)(ssn|social_security_number|national_id|national_insurance_number|nino|tax_id|tin|personal_id_number)(_|$)",
            "user.government_id.national_identification_number",
        ),
        (r"(^|_)passport(_number|_no)?(_|$)", "user.government_id.passport_number"),
        (
            r"(^|_)(drivers?_licen[cs]e|driving_licen[cs]e)(_number|_no)?(_|$)",
            "user.government_id.drivers_license_number",
        ),
        (
            r"(^|_)(credit_card|card_number|cc_number|pan|cvv|cvc|card_cvc)(_|$)",
            "user.financial.credit_card",
        ),
        (
            r"(^|_)(iban|bank_account|account_number|routing_number|sort_code|bic|swift_code)(_|$)",
            "user.financial.bank_account",
        ),
        (r"(^|_)(salary|income|net_worth|credit_score)(_|$)", "user.financial"),
        (r"(^|_)(genetic|dna|genome)(_|$)", "user.health_and_medical.genetic"),
        (
            r"(^|_)(insurance_number|insurance_id|health_insurance)(_|$)",
            "user.health_and_medical.insurance_beneficiary_id",
        ),
        (r"(^|_)(medical_record|patient_record|mrn)(_|$)", "user.health_and_medical.record_id"),
        (
            r"(^|_)(diagnosis|diagnoses|medical|health_(condition|record|records|data|info|information|history)|prescription|medication|allergy|allergies|blood_type|disease|symptoms?|disability|medical_condition)(_|$)",
            "user.health_and_medical",
        ),
        (r"(^|_)(fingerprint_template|fingerprint_image)(_|$)", "user.biometric.fingerprint"),
        (
            r"(^|_)(face_id|face_template|retina|iris_scan|voice_print|voiceprint|biometric)(_|$)",
            "user.biometric",
        ),
        (r"(^|_)(ip|ip_address|ipaddress|remote_addr|client_ip)(_|$)", "user.device.ip_address"),
        (r"(^|_)(device_id|imei|idfa|advertising_id|gaid)(_|$)", "user.device.device_id"),
        (
            r"(^|_)(latitude|longitude|lat|lng|geolocation|geo_location|gps|coordinates)(_|$)",
            "user.location.precise",
        ),
        (
            r"(^|_)(street|street_address|address_line\d?|home_address|address)(_|$)",
            "user.contact.address.street",
        ),
        (r"^(city|town)$", "user.contact.address.city"),
        (
            r"^zip$|(^|_)(zip_code|zipcode|postal_code|postcode)(_|$)",
            "user.contact.address.postal_code",
        ),
        (r"(^|_)(criminal_record|conviction|criminal_history)(_|$)", "user.criminal_history"),
        (
            r"^(user_id|userid|customer_id|member_id|patient_id|person_id|subscriber_id)$",
            "user.unique_id",
        ),
        (r"(^|_)job_title(_|$)", "user.job_title"),
        (
            r"(^|_)(avatar|profile_photo|profile_picture|profile_image|selfie)(_|$)",
            "user.content.self_image",
        ),
    )
)
#: Django, Pydantic and SQLAlchemy field types that say what the field holds.
_TYPE_RULES: Mapping[str, str] = {
    "EmailField": "user.contact.email",
    "EmailStr": "user.contact.email",
    "NameEmail": "user.contact.email",
    "GenericIPAddressField": "user.device.ip_address",
    "IPAddressField": "user.device.ip_address",
    "IPvAnyAddress": "user.device.ip_address",
    "PaymentCardNumber": "user.financial.credit_card",
    "PhoneNumberField": "user.contact.phone_number",
}
#: A module constant's name (`STRIPE_API_KEY`, `ADMIN_EMAIL`): configuration, not a person's.
_CONSTANT = re.compile(r"^_?[A-Z][A-Z0-9_]*$")
#: Objects whose `id`/`pk`/`uuid` identifies a person (`user.id`).
_PERSON = re.compile(
    r"^(user|customer|member|patient|person|account|subscriber|employee|client|owner|profile)s?$"
)
#: Data categories whose flows are high severity: GDPR Art. 9 special categories, Art. 10
#: criminal data, credentials, government identifiers and payment data.
SENSITIVE = (
    "user.health_and_medical",
    "user.biometric",
    "user.demographic.race_ethnicity",
    "user.demographic.religious_belief",
    "user.demographic.sexual_orientation",
    "user.demographic.political_opinion",
    "user.criminal_history",
    "user.authorization",
    "user.government_id",
    "user.financial",
)


def snake(name: str) -> str:
    """`firstName` and `FirstName` as `first_name`."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower().strip("_")


#: Names about a datum rather than holding it: flags, counts, times, limits, types.
_ABOUT = re.compile(
    r"^(is|has|can|should|allow|require|needs?|send|num|count|max|min)_|"
    r"_(verified|confirmed|enabled|disabled|required|sent|count|counts|at|on|on_utc|flag|"
    r"length|max_length|min_length|field|fields|template|label|regex|pattern|"
    r"validator|form|widget|changed|updated|policy|reset|hasher|algorithm)$|"
    r"^(redact|redacted|redacts|mask|masked|obfuscate|obfuscated|sanitize|sanitized|scrub)_"
)
#: Names that point at a credential rather than hold it: where it is kept (a file, its path,
#: a directory, an environment variable, a URL), its name, id or type, or a message about it.
#: `credentials_path`, `api_key_file`, `secret_key_var`, `get_credentials_path()`.
_REFERENCE = re.compile(
    r"_(path|paths|file|files|filename|file_name|filepath|file_path|dir|dirs|directory|"
    r"location|url|uri|var|env|env_var|name|names|id|ids|type|types|header|headers|source|"
    r"provider|providers|manager|helper|cmd|command|prompt|help|message|msg|hint|exists|mode|"
    r"expiry|expires|expiration|ttl|scope|scopes)$"
)


def classify(name: str) -> str | None:
    """The data category a name says it holds, or None."""
    s = snake(name)
    if len(s) > 80 or _ABOUT.search(s):
        return None
    for pattern, key in _NAME_RULES:
        if pattern.search(s):
            if key.startswith("user.authorization.") and _REFERENCE.search(s):
                return None  # where a credential is kept, or its name: not the credential
            return key
    return None


def sensitive(category: str) -> bool:
    return any(category == s or category.startswith(s + ".") for s in SENSITIVE)


@cache
def taxonomy() -> Mapping[str, str]:
    """fideslang data category key -> its name (policies/privacy/fideslang-taxonomy.yaml)."""
    path = data_dir("policies") / "privacy" / "fideslang-taxonomy.yaml"
    data = load_yaml(path).data
    return {str(c["fides_key"]): str(c["name"]) for c in data["data_categories"]}


# --- sinks ----------------------------------------------------------------------------------

_LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "fatal"}
)
_LOGGER_NAME = re.compile(
    r"^(_?log|_?logger|_?LOG|_?LOGGER|logging|structlog|log_?\w*|\w*_log(ger)?)$"
)
#: Top-level modules of third-party SDKs (analytics, error tracking, marketing, messaging),
#: by the recipient shown in the inventory.
THIRD_PARTIES: Mapping[str, str] = {
    "analytics": "Segment",
    "segment": "Segment",
    "mixpanel": "Mixpanel",
    "posthog": "PostHog",
    "amplitude": "Amplitude",
    "rudderstack": "RudderStack",
    "sentry_sdk": "Sentry",
    "raven": "Sentry",
    "bugsnag": "Bugsnag",
    "rollbar": "Rollbar",
    "newrelic": "New Relic",
    "datadog": "Datadog",
    "ddtrace": "Datadog",
    "intercom": "Intercom",
    "hubspot": "HubSpot",
    "mailchimp_marketing": "Mailchimp",
    "mailchimp3": "Mailchimp",
    "sendgrid": "SendGrid",
    "twilio": "Twilio",
    "stripe": "Stripe",
    "braze": "Braze",
    "customerio": "Customer.io",
    "klaviyo": "Klaviyo",
}
_HTTP_MODULES = frozenset({"requests", "httpx", "aiohttp", "urllib3", "urllib", "http"})
_HTTP_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "request", "urlopen", "send", "head", "stream"}
)
_FILE_WRITES = frozenset({"write", "writelines", "writerow", "writerows", "to_csv", "to_excel"})
_DUMPERS = frozenset({"json", "pickle", "yaml", "csv", "marshal"})


@dataclass
class _Module:
    """What the imports of one module make of a name: its top-level module."""

    roots: dict[str, str] = field(default_factory=dict)
    #: Functions the module defines: named without a call, such a name is code, not data.
    functions: frozenset[str] = frozenset()

    def root(self, name: str) -> str | None:
        return self.roots.get(name)


def _imports(tree: ast.Module) -> _Module:
    """Imported names by their top-level module, and module-level clients of them
    (`mp = Mixpanel(token)` makes `mp` a Mixpanel client)."""
    out = _Module(
        _imported_roots(tree),
        frozenset(
            n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ),
    )
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
            chain = _chain(stmt.value.func)
            root = out.root(chain[0]) if chain else None
            if root is not None:
                for t in stmt.targets:
                    if isinstance(t, ast.Name):
                        out.roots.setdefault(t.id, root)
    return out


def _imported_roots(tree: ast.Module) -> dict[str, str]:
    """Each name an import binds (anywhere in the module) -> its top-level module."""
    roots: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                roots[(a.asname or a.name).split(".")[0]] = a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                roots[a.asname or a.name] = node.module.split(".")[0]
    return roots


def _chain(node: ast.expr) -> list[str]:
    """`a.b.c(...)` -> ["a", "b", "c"]; [] when the root is no name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Call):
        return _chain(node.func) + parts[::-1] if _chain(node.func) else []
    if isinstance(node, ast.Name):
        return [node.id, *parts[::-1]]
    return []


# --- the scanner ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Flow:
    rule: str
    category: str
    line: int
    end_line: int | None
    what: str
    recipient: str = ""


class PrivacyScanner(TableRules):
    name: ClassVar[str] = "privacy"
    kind: ClassVar[FindingKind] = FindingKind.PRIVACY
    description: ClassVar[str] = (
        "Personal data declared in models and schemas, and its flows into logs, third-party "
        "SDKs, HTTP requests and files"
    )
    display_name: ClassVar[str] = "secscan personal-data inventory"
    titles: ClassVar[Mapping[str, str]] = _TITLES
    fixes: ClassVar[Mapping[str, str]] = _FIX
    title_note: ClassVar[str] = " (data categories: the fideslang taxonomy)."
    rules_source: ClassVar[str] = "secscan personal-data recognisers"

    def applies_to(self, path: str) -> bool:
        return path.endswith((".py", ".sql", *_DATA_FILES))

    def version(self) -> str:
        from secscan import __version__

        return f"secscan {__version__}"

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        limit = int(ctx.config.max_file_size_mb * 1024 * 1024)
        findings: list[Finding] = []
        not_analyzed: list[NotAnalyzed] = []
        analyzed: set[str] = set()
        for rel in ctx.targets:
            try:
                text = _files.read_text(ctx.root / rel, limit=limit)
            except ConfigError as e:
                not_analyzed.append(NotAnalyzed(rel, f"{self.name}: {e.message}"))
                continue
            findings += [self._committed(rel, hit) for hit in committed_data(text)]
            if rel.endswith(".sql"):
                findings += self._sql(rel, text)
            elif rel.endswith((".json", ".yaml", ".yml")) and _SCHEMA_MARK.search(text[:4096]):
                findings += self._schema(rel, text)
            if not rel.endswith(".py"):
                analyzed.add(rel)
                continue
            try:
                tree = pysource.parse(text, rel)
                found = list(self._python(rel, tree))
            except pysource.PARSE_ERRORS as e:
                not_analyzed.append(
                    NotAnalyzed(rel, f"{self.name}: cannot parse: {type(e).__name__}")
                )
                continue
            findings += found
            analyzed.add(rel)
        return ScanOutcome(
            findings=tuple(findings),
            not_analyzed=tuple(not_analyzed),
            analyzed=frozenset(analyzed),
            rulesets=("secscan personal-data recognisers; fideslang 3.1.4 taxonomy",),
        )

    # --- declarations ---------------------------------------------------------------------

    def _python(self, rel: str, tree: ast.Module) -> Iterator[Finding]:
        module = _imports(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                yield from self._model(rel, node, module)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for flow in _flows(node, module):
                    yield self._flow(rel, flow)

    def _model(self, rel: str, cls: ast.ClassDef, module: _Module) -> Iterator[Finding]:
        kind = _model_kind(cls, module)
        if kind is None:
            return
        person = bool(_PERSON.match(snake(cls.name)))
        for stmt in cls.body:
            target, value, annotation = _field(stmt)
            if target is None:
                continue
            category = _type_category(value, annotation) or classify(target)
            if category is None and person and target in ("name", "full_name"):
                category = "user.name"
            if category is None:
                continue
            stored = kind in ("Django model", "SQLAlchemy model")  # forms, schemas: declared
            yield self._declared(rel, stmt.lineno, f"{cls.name}.{target}", category, kind, stored)

    def _declared(
        self, rel: str, line: int, where: str, category: str, kind: str, stored: bool
    ) -> Finding:
        label = taxonomy().get(category, category)
        return Finding(
            scanner=self.name,
            rule_id=FIELD,
            title=f"{where}: {label} ({category})",
            message=f"{where} holds {label} ({category}), declared in a {kind}"
            + ("; stored in a database." if stored else "."),
            severity=Severity.INFO,
            kind=FindingKind.PRIVACY,
            location=Location(rel, line),
            confidence=Confidence.MEDIUM,
            remediation=_FIX[FIELD],
            tags=(
                f"category:{category}",
                f"storage:{'database' if stored else 'declared'}",
                f"model:{kind}",
            ),
        )

    def _sql(self, rel: str, text: str) -> list[Finding]:
        out = []
        # comments out, newlines kept: positions still give the right lines
        code = _SQL_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text[:2_000_000])
        for m in _CREATE_TABLE.finditer(code):
            table = m.group("table").strip('`"[]')
            pos = m.start("body")
            for column_def in m.group("body").split(","):
                col = column_def.split()
                if col:
                    name = col[0].strip('`"[]')
                    category = classify(name)
                    if category is not None:
                        at = code.count("\n", 0, pos + column_def.index(col[0])) + 1
                        out.append(
                            self._declared(rel, at, f"{table}.{name}", category, "SQL table", True)
                        )
                pos += len(column_def) + 1
        return out

    def _committed(self, rel: str, hit: Committed) -> Finding:
        label = taxonomy().get(hit.category, hit.category)
        return Finding(
            scanner=self.name,
            rule_id=COMMITTED,
            title=f"{label} ({hit.category}) committed: a valid {hit.kind}",
            # the value itself is never repeated: only its kind and last characters' count
            message=f"Line {hit.line} holds a {hit.kind} that passes its checksum "
            f"({hit.length} characters): real {label.lower()} in the repository.",
            severity=Severity.HIGH,
            kind=FindingKind.PRIVACY,
            location=Location(rel, hit.line),
            confidence=Confidence.HIGH,
            remediation=_FIX[COMMITTED],
            tags=(f"category:{hit.category}", "flow:committed"),
        )

    def _schema(self, rel: str, text: str) -> list[Finding]:
        """The `properties` of a JSON Schema or an OpenAPI document's schemas (declared: a
        schema says what is exchanged, not where it is kept)."""
        if len(text) > MAX_SCHEMA_CHARS:
            return []
        try:
            loaded = parse_yaml(text, rel)
        except (ConfigError, RecursionError):
            return []  # not a document this reader takes (or nested past any schema's depth)
        out = []
        for path, node in _schema_dicts(loaded.data):
            props = node.get("properties")
            if not isinstance(props, dict):
                continue
            owner = next((str(p) for p in reversed(path) if isinstance(p, str)), rel)
            for name in sorted(str(k) for k in props):
                category = classify(name)
                if category is not None:
                    line = loaded.line_of([*path, "properties", name]) or 1
                    where = f"{owner}.{name}"
                    out.append(self._declared(rel, line, where, category, "schema", False))
        return out

    # --- flows ----------------------------------------------------------------------------

    def _flow(self, rel: str, flow: Flow) -> Finding:
        label = taxonomy().get(flow.category, flow.category)
        severity = (
            Severity.HIGH
            if sensitive(flow.category)
            else Severity.MEDIUM
            if flow.rule in (LOG, THIRD_PARTY)
            else Severity.LOW
        )
        to = {
            LOG: "a log",
            THIRD_PARTY: f"the {flow.recipient} SDK",
            HTTP: "an outgoing HTTP request",
            FILE: "a file",
        }[flow.rule]
        tags = [f"category:{flow.category}", f"flow:{flow.rule.removeprefix('PRIVACY-').lower()}"]
        if flow.recipient:
            tags.append(f"recipient:{flow.recipient}")
        return Finding(
            scanner=self.name,
            rule_id=flow.rule,
            title=f"{label} ({flow.category}) to {to}",
            message=f"{flow.what} ({label}, {flow.category}) flows into {to}.",
            severity=severity,
            kind=FindingKind.PRIVACY,
            location=Location(rel, flow.line, flow.end_line),
            confidence=Confidence.MEDIUM,
            remediation=_FIX[flow.rule],
            tags=tuple(tags),
        )


# --- real personal data in the files: checksum-validated recognisers ------------------------

#: Files besides code and SQL whose content may hold records (fixtures, dumps, exports) or
#: schemas. Prose (`.txt`, `.md`) is left to the secret scanners: a tree of documents has
#: no personal-data processing for this scanner to inventory.
_DATA_FILES = (".csv", ".tsv", ".json", ".jsonl", ".yaml", ".yml")

#: IBAN length per country (ISO 13616 registry, SWIFT IBAN Registry): the countries of the
#: SEPA area and a few more; an IBAN of a country not listed is not reported.
IBAN_LENGTHS: Mapping[str, int] = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}  # fmt: skip
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30})\b")
#: Digits after a decimal point are a fraction (`13.4197458572965953`), not a card.
_CARD = re.compile(r"(?<![\d.-])(\d(?:[ -]?\d){12,18})(?![\d-])")
#: Card numbers payment providers publish for testing: never a person's.
TEST_CARDS = frozenset(
    {
        "4111111111111111", "4242424242424242", "4000056655665556", "4012888888881881",
        "5555555555554444", "5200828282828210", "5105105105105100", "2223003122003222",
        "378282246310005", "371449635398431", "6011111111111117", "6011000990139424",
        "3056930009020004", "36227206271667", "3566002020360505", "6200000000000005",
        "4000000000000002", "4000000000009995", "4000000000000077", "4000002500003155",
    }
)  # fmt: skip
#: Card networks by number prefix, with the lengths their numbers have (ISO/IEC 7812 IINs as
#: the networks publish them: Visa, Mastercard, American Express, Discover, Diners, JCB).
_CARD_NETWORKS: tuple[tuple[re.Pattern[str], frozenset[int]], ...] = (
    (re.compile(r"^4"), frozenset({13, 16})),
    (re.compile(r"^(5[1-5]|2(2[2-9]|[3-6]|7[01]|720))"), frozenset({16})),
    (re.compile(r"^3[47]"), frozenset({15})),
    (re.compile(r"^(6011|65|64[4-9])"), frozenset({16})),
    (re.compile(r"^3(0[0-5]|[68])"), frozenset({14})),
    (re.compile(r"^35(2[89]|[3-8])"), frozenset({16})),
)
#: A number that is some record's id (`"id": 4006...`, `user_id=...`) is no card.
_ID_BEFORE = re.compile(r"(?i)(id|_no|num|number|ref|ts|time|stamp)[\"']?\s*[:=]\s*[\"']?$")


@dataclass(frozen=True, slots=True)
class Committed:
    kind: str
    category: str
    line: int
    length: int


def iban_valid(text: str) -> bool:
    """ISO 13616: the country's length and the mod-97 check (the remainder is 1)."""
    iban = text.replace(" ", "")
    if IBAN_LENGTHS.get(iban[:2]) != len(iban):
        return False
    moved = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return int(digits) % 97 == 1


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def committed_data(text: str) -> Iterator[Committed]:
    """IBANs and payment card numbers in the text that pass their checksums (cards: Luhn,
    a card network's prefix, not a published test number)."""
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > 100_000:
            continue
        for m in _IBAN.finditer(line):
            if iban_valid(m.group(1)):
                yield Committed("IBAN", "user.financial.bank_account", number, len(m.group(1)))
        for m in _CARD.finditer(line):
            digits = re.sub(r"[ -]", "", m.group(1))
            if (
                _card_network(digits)
                and digits not in TEST_CARDS
                and len(set(digits)) > 2
                and not _ID_BEFORE.search(line[max(0, m.start() - 24) : m.start()])
                and luhn_valid(digits)
            ):
                yield Committed(
                    "payment card number", "user.financial.credit_card", number, len(digits)
                )


def _card_network(digits: str) -> bool:
    return any(p.match(digits) and len(digits) in lengths for p, lengths in _CARD_NETWORKS)


#: What marks a JSON or YAML file as a schema: OpenAPI, Swagger, JSON Schema.
_SCHEMA_MARK = re.compile(r"\bopenapi\b|\bswagger\b|\$schema|\bproperties\b")
MAX_SCHEMA_CHARS = 2_000_000

_SQL_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_CREATE_TABLE = re.compile(
    r"create\s+table\s+(?:if\s+not\s+exists\s+)?(?P<table>[\w.`\"\[\]]+)\s*\((?P<body>[^;]*?)\)\s*;",
    re.IGNORECASE,
)


def _model_kind(cls: ast.ClassDef, module: _Module) -> str | None:
    if _is_dataclass(cls):
        return "dataclass"
    for base in cls.bases:
        chain = _chain(base)
        if not chain:
            continue
        if chain[-1] == "Migration":
            return None  # a migration's operations restate the model's fields
        kind = _base_kind(chain, module.root(chain[0]) or chain[0])
        if kind is not None:
            return kind
    return None


def _is_dataclass(cls: ast.ClassDef) -> bool:
    """Decorated `@dataclass`, attrs' `@define` or `@frozen` (called or not)."""
    for d in cls.decorator_list:
        name = (_chain(d.func) if isinstance(d, ast.Call) else _chain(d))[-1:]
        if name in (["dataclass"], ["define"], ["frozen"]):
            return True
    return False


def _base_kind(chain: list[str], root: str) -> str | None:
    """The kind of model a base class (`models.Model`, `BaseModel`, ...) makes its subclass."""
    last = chain[-1]
    if chain[-2:] == ["models", "Model"] or (root == "django" and last == "Model"):
        return "Django model"
    if root == "django" and last.endswith("Form"):
        return "Django form"
    if (
        root in ("sqlalchemy", "flask_sqlalchemy")
        or last in ("DeclarativeBase", "Base")
        or chain[-2:] == ["db", "Model"]
    ):
        return "SQLAlchemy model"
    if root in ("pydantic", "sqlmodel") or last in ("BaseModel", "SQLModel"):
        return "Pydantic model"
    if last == "TypedDict":
        return "TypedDict"
    return None


def _field(stmt: ast.stmt) -> tuple[str | None, ast.expr | None, ast.expr | None]:
    if (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
    ):
        return stmt.targets[0].id, stmt.value, None
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id, stmt.value, stmt.annotation
    return None, None, None


def _type_category(value: ast.expr | None, annotation: ast.expr | None) -> str | None:
    """The category the field's type says: its constructor (`models.EmailField(...)`, not
    whatever its arguments hold) or its annotation (`EmailStr | None`)."""
    own = [value.func] if isinstance(value, ast.Call) else []
    for node in (*own, annotation):
        if node is None:
            continue
        for sub in ast.walk(node):
            name = (
                sub.attr
                if isinstance(sub, ast.Attribute)
                else sub.id
                if isinstance(sub, ast.Name)
                else None
            )
            if name is not None and name in _TYPE_RULES:
                return _TYPE_RULES[name]
    return None


#: Calls whose result is their arguments reshaped: `str(token)`, `json.dumps(user)`,
#: `",".join(emails)`, `"{}".format(email)`, and lookups whose key names the value
#: (`os.environ.get("API_KEY")`). Any other call's result is what the callee computes (a
#: client, a response, a count, `jwt.decode`'s claims), not the data passed in.
_ARG_PASSTHROUGH = frozenset(
    {
        "str", "repr", "format", "bytes", "bytearray", "dict", "list", "tuple", "set",
        "frozenset", "sorted", "reversed", "vars", "asdict", "dumps", "safe_dump", "pformat",
        "b64encode", "urlsafe_b64encode", "quote", "quote_plus", "urlencode", "join", "get",
        "pop", "getenv",
    }
)  # fmt: skip
#: Methods whose result is their receiver reshaped: `token.strip()`, `creds.get("password")`.
_RECEIVER_PASSTHROUGH = frozenset(
    {
        "format", "encode", "decode", "strip", "lstrip", "rstrip", "lower", "upper", "title",
        "replace", "split", "copy", "get", "pop", "items", "values", "model_dump", "to_dict",
        "as_dict", "hexdigest",
    }
)  # fmt: skip


#: Python's own functions (`zip`, `id`, `len`): a call of one says nothing of its result.
_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True, slots=True)
class _Values:
    """What personal data a value holds, read by the shape of the expression: a comparison
    is a bool, `len(x)` a count, `a if secret else b` holds `a` or `b`, a function named but
    not called is code."""

    tainted: Mapping[str, tuple[str, str]]
    functions: frozenset[str] = frozenset()

    def of(self, nodes: Sequence[ast.AST]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for node in nodes:
            self._walk(node, out)
        return out

    def _walk(self, node: ast.AST, out: list[tuple[str, str]]) -> None:
        if isinstance(node, ast.Name):
            found = None if node.id in self.functions else _name_category(node.id, self.tainted)
            out += [found] if found is not None else []
        elif isinstance(node, ast.Attribute):
            found = _attribute_category(node)
            if found is not None:
                out.append(found)
            else:
                self._walk(node.value, out)
        elif isinstance(node, ast.Call):
            self._call(node, out)
        elif isinstance(node, ast.keyword):
            found = _keyword_category(node.arg) if node.arg else None
            out += [found] if found is not None else []
            self._walk(node.value, out)
        else:
            self._other(node, out)

    def _other(self, node: ast.AST, out: list[tuple[str, str]]) -> None:
        if isinstance(node, ast.Compare | ast.Lambda | ast.Constant) or (
            isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
        ):
            return  # a bool, code, or a literal in a value's place
        if isinstance(node, ast.IfExp):
            children: list[ast.AST] = [node.body, node.orelse]
        elif isinstance(node, ast.Dict):
            self._keys([k for k in node.keys if k is not None], out)
            children = list(node.values)
        elif isinstance(node, ast.Subscript):
            self._keys([node.slice], out)
            children = [node.value]
        else:
            children = list(ast.iter_child_nodes(node))
        for child in children:
            self._walk(child, out)

    def _keys(self, keys: Sequence[ast.AST], out: list[tuple[str, str]]) -> None:
        for key in keys:
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found = _key_category(key.value)
                out += [found] if found is not None else []
            else:
                self._walk(key, out)

    def _call(self, call: ast.Call, out: list[tuple[str, str]]) -> None:
        """A called function's name says what it returns (`get_api_key()`); a passthrough
        call holds its receiver and arguments."""
        chain = _chain(call.func)
        if chain and not (len(chain) == 1 and chain[0] in _BUILTINS):
            # `user_from_token(t)` returns a user: what comes before `_from_`
            found = _name_category(re.split(r"_from_|From", chain[-1])[0], {})
            out += [found] if found is not None else []
        if not chain:
            return
        if isinstance(call.func, ast.Attribute) and chain[-1] in _RECEIVER_PASSTHROUGH:
            self._walk(call.func.value, out)
        if chain[-1] not in _ARG_PASSTHROUGH:
            return
        self._keys(call.args, out)
        for kw in call.keywords:
            self._walk(kw, out)


def _categories(
    nodes: Sequence[ast.AST],
    tainted: Mapping[str, tuple[str, str]],
    functions: frozenset[str] = frozenset(),
) -> list[tuple[str, str]]:
    """(category, what) of each piece of personal data the nodes hold."""
    return _Values(tainted, functions).of(nodes)


def _name_category(name: str, tainted: Mapping[str, tuple[str, str]]) -> tuple[str, str] | None:
    if name in tainted:
        return tainted[name]
    if _CONSTANT.match(name):
        return None  # STRIPE_API_KEY: the program's own configuration, no one's data
    c = classify(name)
    return (c, name) if c is not None else None


def _attribute_category(node: ast.Attribute) -> tuple[str, str] | None:
    base = node.value.id if isinstance(node.value, ast.Name) else ""
    if node.attr in ("id", "pk", "uuid") and _PERSON.match(snake(base)):
        return "user.unique_id", f"{base}.{node.attr}"
    c = classify(node.attr)
    return (c, f"{base}.{node.attr}" if base else node.attr) if c is not None else None


def _key_category(value: str) -> tuple[str, str] | None:
    """A dict key or subscript naming the field: {"email": ...}, data["ssn"]."""
    if len(value) > 40 or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        return None
    c = classify(value)
    return (c, repr(value)) if c else None


def _keyword_category(arg: str) -> tuple[str, str] | None:
    c = classify(arg)
    return (c, f"{arg}=") if c is not None else None


def _sink(call: ast.Call, module: _Module, clients: Mapping[str, str]) -> tuple[str, str] | None:
    """(rule, recipient) when the call is a sink."""
    chain = _chain(call.func)
    if not chain:
        return None
    head, last = chain[0], chain[-1]
    root = module.root(head) or clients.get(head) or ""
    if _logs(chain, root):
        return LOG, ""
    if root in THIRD_PARTIES:
        return THIRD_PARTY, THIRD_PARTIES[root]
    if root in _HTTP_MODULES and last in _HTTP_METHODS and "web" not in chain:
        return HTTP, ""  # `aiohttp.web.get(path, handler)` declares a route: no request
    if _writes_file(call, chain, root, clients):
        return FILE, ""
    return None


def _logs(chain: list[str], root: str) -> bool:
    """`print(...)`, or a log method of `logging`, structlog, loguru or a logger's name."""
    if chain == ["print"]:
        return True
    return (
        chain[-1] in _LOG_METHODS
        and len(chain) >= 2
        and (
            root == "logging"
            or bool(_LOGGER_NAME.match(chain[-2]))
            or root in ("structlog", "loguru")
        )
    )


def _writes_file(call: ast.Call, chain: list[str], root: str, clients: Mapping[str, str]) -> bool:
    """A write to an opened file or csv writer, a DataFrame export, or a dump into a file."""
    last = chain[-1]
    if last in _FILE_WRITES and (clients.get(chain[0]) == "file" or last in ("to_csv", "to_excel")):
        return True
    return root in _DUMPERS and last in ("dump", "dumps") and len(call.args) >= 2


def _flows(fn: ast.FunctionDef | ast.AsyncFunctionDef, module: _Module) -> Iterator[Flow]:
    """Personal data reaching a sink in one function, in statement order (assignments carry
    the categories of their value to the names they bind)."""
    tainted: dict[str, tuple[str, str]] = {}
    clients: dict[str, str] = {}
    seen: set[tuple[str, int, str]] = set()
    for node in _in_order(fn):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            names = _bound_names(node)
            client = _client(node.value, module, clients)
            if client is not None:
                clients.update(dict.fromkeys(names, client))
            else:
                _carry(names, _categories([node.value], tainted, module.functions), tainted)
            for n in names:  # an OAuth 2.0 token request's parameters, or no longer one
                if _is_grant(node.value):
                    clients[n] = "grant"
                elif clients.get(n) == "grant":
                    del clients[n]
        elif isinstance(node, ast.withitem) and (opened := _opened_file(node)) is not None:
            clients[opened] = "file"
        elif isinstance(node, ast.Call):
            for flow in _call_flows(node, module, clients, tainted):
                key = (flow.rule, flow.line, flow.category)
                if key not in seen:
                    seen.add(key)
                    yield flow


def _bound_names(node: ast.Assign | ast.AnnAssign) -> list[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [t.id for t in targets if isinstance(t, ast.Name)]


def _client(value: ast.expr, module: _Module, clients: Mapping[str, str]) -> str | None:
    """What a call's result is a client of: "file" (`open(...)`, a csv writer), a
    third-party SDK's or HTTP library's top-level module; None for any other value."""
    if not isinstance(value, ast.Call):
        return None
    chain = _chain(value.func)
    if not chain:
        return None
    root = module.root(chain[0]) or clients.get(chain[0]) or ""
    if chain == ["open"] or (root == "csv" and chain[-1] in ("writer", "DictWriter")):
        return "file"
    if root in THIRD_PARTIES or root in _HTTP_MODULES:
        return root
    return None


def _carry(
    names: list[str], found: list[tuple[str, str]], tainted: dict[str, tuple[str, str]]
) -> None:
    """The names an assignment binds hold the first category of its value, or none."""
    for n in names:
        kept = [f for f in found if not _points_at_credential(n, f[0])]
        if kept:
            tainted[n] = kept[0]
        else:
            tainted.pop(n, None)


def _points_at_credential(name: str, category: str) -> bool:
    """`key_path = creds.get("ssh_private_key")`: a name saying it holds where a credential
    is kept (or its name) does not hold the credential, whatever its value was read from."""
    return category.startswith("user.authorization") and bool(_REFERENCE.search(snake(name)))


#: Keywords of an HTTP call that authenticate the request to its recipient.
_HTTP_AUTH = frozenset({"headers", "auth", "cert"})
#: Keywords of an HTTP call that carry its body.
_HTTP_BODY = frozenset({"data", "json"})


def _is_grant(value: ast.expr) -> bool:
    """An OAuth 2.0 token request's parameters (RFC 6749 sec. 4): a dict with `grant_type`."""
    return isinstance(value, ast.Dict) and any(
        isinstance(k, ast.Constant) and k.value == "grant_type" for k in value.keys
    )


def _authenticates(kw: ast.keyword, clients: Mapping[str, str]) -> bool:
    """The keyword of an HTTP call that presents credentials to the recipient: its headers,
    `auth=`, a client certificate, or the body of an OAuth 2.0 token request. Credentials
    there are how the service is used, not a disclosure of them; in a URL, a query or any
    other body they are still reported."""
    if kw.arg in _HTTP_AUTH:
        return True
    if kw.arg not in _HTTP_BODY:
        return False
    return _is_grant(kw.value) or (
        isinstance(kw.value, ast.Name) and clients.get(kw.value.id) == "grant"
    )


def _opened_file(item: ast.withitem) -> str | None:
    """The name `with open(...) as name` binds."""
    if (
        isinstance(item.context_expr, ast.Call)
        and _chain(item.context_expr.func) == ["open"]
        and isinstance(item.optional_vars, ast.Name)
    ):
        return item.optional_vars.id
    return None


def _call_flows(
    call: ast.Call,
    module: _Module,
    clients: Mapping[str, str],
    tainted: Mapping[str, tuple[str, str]],
) -> Iterator[Flow]:
    """The personal data among a sink call's arguments (none when the call is no sink)."""
    sink = _sink(call, module, clients)
    if sink is None:
        return
    rule, recipient = sink
    args: list[ast.AST] = [*call.args, *call.keywords]
    auth = [kw for kw in call.keywords if rule == HTTP and _authenticates(kw, clients)]
    found = _categories([a for a in args if a not in auth], tainted, module.functions) + [
        f
        for f in _categories(auth, tainted, module.functions)
        if not f[0].startswith("user.authorization")  # presented to the recipient: used
    ]
    for category, what in found:
        if rule == LOG and category == "user.unique_id":
            continue  # logging a record's id is how personal data is kept out of logs
        yield Flow(rule, category, call.lineno, call.end_lineno, what, recipient)


def _schema_dicts(data: object) -> Iterator[tuple[list[str | int], dict[Any, Any]]]:
    """Every mapping of a loaded document with its path, depth first, at most 64 deep."""
    stack: list[tuple[list[str | int], object]] = [([], data)]
    while stack:
        path, node = stack.pop()
        if len(path) > 64:
            continue
        if isinstance(node, dict):
            yield path, node
            stack += [([*path, str(k)], v) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [([*path, i], v) for i, v in enumerate(node)]


def _in_order(fn: ast.AST) -> Iterator[ast.AST]:
    """Nodes of a function body in source order (nested functions are their own scope)."""
    stack = list(reversed(list(ast.iter_child_nodes(fn))))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        yield node
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
