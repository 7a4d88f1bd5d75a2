"""What secscan knows about bandit's tests: human titles, and one severity calibration.

bandit names its tests for its own code (`blacklist`, `hashlib_insecure_functions`); reports
show these titles instead. A test bandit adds later and this table lacks falls back to its
own name with the underscores spaced out, so nothing goes untitled.
"""

from __future__ import annotations

from secscan.model.findings import Severity

TITLES: dict[str, str] = {
    "B101": "assert used (removed under python -O)",
    "B102": "exec() used",
    "B103": "file permissions too permissive",
    "B104": "server bound to all network interfaces",
    "B105": "hard-coded password string",
    "B106": "hard-coded password argument",
    "B107": "hard-coded password default",
    "B108": "fixed path in a shared temporary directory",
    "B110": "exception silently ignored (try/except/pass)",
    "B112": "exception silently ignored (try/except/continue)",
    "B113": "HTTP request without a timeout",
    "B201": "Flask debugger enabled",
    "B202": "tar archive extracted without member checks",
    "B301": "pickle deserialization",
    "B302": "marshal deserialization",
    "B303": "weak hash (MD5/SHA-1) used",
    "B304": "broken cipher used",
    "B305": "insecure cipher mode used",
    "B306": "insecure temporary file (mktemp)",
    "B307": "eval() used",
    "B308": "mark_safe() may allow cross-site scripting",
    "B310": "URL opened without a scheme check",
    "B311": "non-cryptographic random generator",
    "B312": "Telnet used (clear text)",
    "B313": "XML parsed with a vulnerable parser (cElementTree)",
    "B314": "XML parsed with a vulnerable parser (ElementTree)",
    "B315": "XML parsed with a vulnerable parser (expatreader)",
    "B316": "XML parsed with a vulnerable parser (expatbuilder)",
    "B317": "XML parsed with a vulnerable parser (sax)",
    "B318": "XML parsed with a vulnerable parser (minidom)",
    "B319": "XML parsed with a vulnerable parser (pulldom)",
    "B320": "XML parsed with a vulnerable parser (lxml)",
    "B321": "FTP used (clear text)",
    "B323": "unverified SSL context",
    "B324": "weak hash (MD5/SHA-1) used",
    "B401": "telnetlib module imported",
    "B402": "ftplib module imported",
    "B403": "pickle module imported",
    "B404": "subprocess module imported",
    "B405": "xml.etree module imported",
    "B406": "xml.sax module imported",
    "B407": "xml.dom.expatbuilder module imported",
    "B408": "xml.dom.minidom module imported",
    "B409": "xml.dom.pulldom module imported",
    "B410": "lxml module imported",
    "B411": "xmlrpc module imported",
    "B412": "httpoxy-vulnerable CGI handler imported",
    "B413": "unmaintained pyCrypto library imported",
    "B414": "unmaintained pyCrypto library imported",
    "B415": "IPMI module imported",
    "B501": "TLS certificate verification disabled",
    "B502": "obsolete SSL/TLS protocol version",
    "B503": "obsolete SSL/TLS protocol as default",
    "B504": "SSL/TLS protocol version not set",
    "B505": "cryptographic key too short",
    "B506": "unsafe YAML load",
    "B507": "SSH host key not verified",
    "B508": "insecure SNMP version",
    "B509": "SNMP without encryption",
    "B601": "shell command via paramiko",
    "B602": "subprocess with shell=True",
    "B603": "subprocess call (check for untrusted input)",
    "B604": "function call with shell=True",
    "B605": "process started with a shell",
    "B606": "process started without a shell",
    "B607": "process started with a partial executable path",
    "B608": "SQL built from strings",
    "B609": "wildcard in a shell command",
    "B610": "Django extra() with raw SQL",
    "B611": "Django RawSQL used",
    "B612": "logging config server listening",
    "B613": "bidirectional control characters (Trojan Source)",
    "B614": "torch.load() of untrusted data",
    "B615": "Hugging Face download without a pinned revision",
    "B701": "Jinja2 autoescape disabled",
    "B702": "Mako templates (no autoescape)",
    "B703": "Django mark_safe() may allow cross-site scripting",
    "B704": "markupsafe Markup() may allow cross-site scripting",
}


def title(test_id: str, test_name: str | None) -> str:
    """The human title of a bandit test, or bandit's own name when the table lacks it."""
    known = TITLES.get(test_id)
    if known:
        return known
    return (test_name or test_id).replace("_", " ")


#: Bidirectional controls that can reorder how source text is displayed (Trojan Source,
#: CVE-2021-42574): embeddings, overrides and isolates.
_REORDERING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: The weak marks (LRM, RLM, ALM): they set the direction of neutral characters next to
#: them, as right-to-left locale data needs ("d\u200f/m\u200f/Y"), and reorder no code.
_MARKS = frozenset("\u200e\u200f\u061c")


def severity(test_id: str, tool_severity: Severity, code: str | None) -> Severity:
    """bandit's severity, except where its own evidence shows the construct is harmless.

    B613 (Trojan Source) rates every bidirectional character high; a line whose only ones
    are the weak marks cannot hide code, so it is a low hint.
    """
    if test_id == "B613" and code:
        chars = set(code)
        if chars & _MARKS and not chars & _REORDERING:
            return Severity.LOW
    return tool_severity
