"""The one error root and its families; the CLI maps each family to an exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes are a contract with CI authors: see docs/exit-codes.md."""

    PASS = 0
    GATE_FAILED = 1
    USAGE = 2
    SCANNER_ERROR = 3


class SecscanError(Exception):
    """Root of every error secscan raises on purpose."""

    exit_code: ExitCode = ExitCode.USAGE

    def diagnostics(self) -> str:
        """A message fit for a person at a terminal: what went wrong and what to do."""
        return str(self)


class UsageError(SecscanError):
    """The command line asked for something that cannot be done."""


class ConfigError(SecscanError):
    """A configuration, policy, waiver or baseline file is invalid.

    Carries the file, the line and the key so the user can go straight to the mistake.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.key = key

    def diagnostics(self) -> str:
        where = self.path or "<config>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        key = f" [{self.key}]" if self.key else ""
        return f"{where}{key}: {self.message}"


class PolicyError(ConfigError):
    """The policy library (frameworks, mapping rules, gates, waivers) is invalid."""


class ToolError(SecscanError):
    """A subprocess could not be run to a result we can trust."""

    exit_code = ExitCode.SCANNER_ERROR

    def __init__(self, message: str, *, argv0: str, stderr: str = "") -> None:
        super().__init__(message)
        self.argv0 = argv0
        self.stderr = stderr

    def diagnostics(self) -> str:
        tail = self.stderr.strip().splitlines()[-5:]
        if not tail:
            return str(self)
        return str(self) + "\n  " + "\n  ".join(tail)


class ToolNotFoundError(ToolError):
    """The executable does not exist or cannot be executed."""


class ToolTimeoutError(ToolError):
    """The process ran past its deadline and was killed."""


class ToolFailedError(ToolError):
    """The process exited with a code that does not mean success, or by a signal."""

    def __init__(self, message: str, *, argv0: str, returncode: int, stderr: str = "") -> None:
        super().__init__(message, argv0=argv0, stderr=stderr)
        self.returncode = returncode


class ScannerError(SecscanError):
    """A scanner could not assess its targets: never a clean result."""

    exit_code = ExitCode.SCANNER_ERROR

    def __init__(self, scanner: str, message: str) -> None:
        super().__init__(f"{scanner}: {message}")
        self.scanner = scanner
        self.reason = message


class ScannerOutputError(ScannerError):
    """The tool's output did not parse as what it promised."""


class ToolLockMismatch(ScannerError):
    """A scanner's executable does not match the tools lock in force (docs/integrity.md): it
    was not run, and the gate fails with exit 3 whatever the profile tolerates."""


class AdvisoryError(SecscanError):
    """The advisory database or service is missing, unreadable or unreachable."""


class ReportError(SecscanError):
    """A report or results file could not be read or written."""


class AttestationError(SecscanError):
    """Signed evidence does not verify: a bad signature, a covered file changed, another
    verdict or policy than attested. Exit 1: the check failed (docs/integrity.md)."""

    exit_code = ExitCode.GATE_FAILED

    def diagnostics(self) -> str:
        return f"attestation NOT valid: {self}"


class HistoryError(SecscanError):
    """The history database could not be opened, migrated, read or written."""
