"""`.secscan.yaml` / `[tool.secscan]`: what to scan, with which scanners, where reports go."""

from __future__ import annotations

import threading
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, field_validator

from secscan.errors import ConfigError
from secscan.model.findings import Scope, Severity
from secscan.report import FORMATS
from secscan.util import files as _files
from secscan.util.yamlio import load_yaml, parse_yaml, validate

CONFIG_FILE = ".secscan.yaml"
SCHEMA_VERSION = 1
#: Report formats come from the one registry (a bottom-layer table; no renderer is imported).
ALL_FORMATS: tuple[str, ...] = tuple(FORMATS)


def _known_format(name: str) -> str:
    if name not in FORMATS:
        raise ValueError(f"unknown report format {name!r}; use one of {', '.join(FORMATS)}")
    return name


ReportFormat = Annotated[str, AfterValidator(_known_format)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Options(_Strict):
    """Base of a scanner's config section: unknown keys are errors, values are frozen."""


M = TypeVar("M", bound=BaseModel)

#: Config sections by key, registered by the scanners that own them (`Scanner.options_key`
#: and `options_model`). A key nobody registered is an unknown key, like any other.
SECTIONS: dict[str, type[BaseModel]] = {}
_SECTIONS_LOCK = threading.Lock()


def register_section(key: str, model: type[BaseModel]) -> None:
    """Register a scanner's section; one key, one model (scanners of one tool share it)."""
    with _SECTIONS_LOCK:
        known = SECTIONS.get(key)
        if known is not None and known is not model:
            raise ValueError(f"config section {key!r} is registered twice ({known}, {model})")
        if key in Config.model_fields:
            raise ValueError(f"config section {key!r} would shadow a top-level setting")
        SECTIONS[key] = model


class AdvisoryOptions(_Strict):
    #: Local OSV mirror directory (relative to the config file). Set: fully offline.
    db: str | None = None
    #: An OSV-compatible service (a team mirror from `secscan advisories serve`).
    url: str | None = None


class Config(_Strict):
    version: int = SCHEMA_VERSION
    scanners: tuple[str, ...] | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    timeout: float = Field(default=600.0, gt=0)
    timeouts: dict[str, float] = Field(default_factory=dict)
    max_file_size_mb: float = Field(default=10.0, gt=0)
    jobs: int | None = Field(default=None, ge=1)
    advisories: AdvisoryOptions = AdvisoryOptions()
    #: What a scan writes when the config says nothing: the results file, SARIF for code
    #: hosts and HTML for people (the quick start opens secscan-report.html).
    formats: tuple[ReportFormat, ...] = ("json", "sarif", "html")
    output_dir: str | None = None
    fail_on: Severity = Severity.HIGH
    profile: str | None = None
    policy: str | None = None
    waivers: str | None = None
    baseline: str | None = None
    cache: bool = True
    #: Record runs in the history database: true for every command, false for none; unset,
    #: `ci` records when $SECSCAN_HISTORY names one. The URL itself never comes from here.
    history: bool | None = None
    #: Per scope, gitignore-style globs (relative to the root) that put a file in it; checked
    #: before the path conventions of secscan.workspace.scopes (tests/, examples/, *.min.js, ...).
    scopes: dict[Scope, tuple[str, ...]] = Field(default_factory=dict)
    #: Scopes the code scanners (bandit, semgrep) do not read; each file left out is listed
    #: as excluded with its reason. Secrets are still searched for everywhere.
    skip_scopes: tuple[Scope, ...] = (Scope.VENDORED, Scope.GENERATED)

    #: Where the config came from; relative paths in it are relative to `base_dir`.
    source: str | None = Field(default=None, exclude=True)
    base_dir: Path | None = Field(default=None, exclude=True)

    @field_validator("version")
    @classmethod
    def _known_version(cls, v: int) -> int:
        if v > SCHEMA_VERSION:
            raise ValueError(
                f"schema version {v} is newer than this secscan understands ({SCHEMA_VERSION}); "
                "upgrade secscan"
            )
        if v < 1:
            raise ValueError("schema version must be 1")
        return v

    @field_validator("fail_on", mode="before")
    @classmethod
    def _severity(cls, v: Any) -> Any:
        if isinstance(v, str) and v.lower() not in Severity._value2member_map_:
            raise ValueError(f"unknown severity {v!r}; use one of {', '.join(Severity)}")
        return v.lower() if isinstance(v, str) else v

    def resolve(self, value: str | None) -> Path | None:
        """A path from the config, made absolute against the config's directory."""
        if value is None:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() or self.base_dir is None else self.base_dir / p

    def timeout_for(self, scanner: str) -> float:
        return self.timeouts.get(scanner, self.timeout)

    if not TYPE_CHECKING:
        # A Config built in code (`Config(base_dir=...)`) still answers `config.<section>`
        # with the registered section's defaults; typed code asks `section()`.
        def __getattr__(self, item: str) -> Any:
            model = SECTIONS.get(item)
            if model is not None:
                return model()
            return super().__getattr__(item)

    def section(self, key: str, model: type[M]) -> M:
        """A scanner's section as validated on load; its defaults when the file has none."""
        # A field of the config_model() subclass, or set by model_copy(update=...) on a plain one.
        value = self.__dict__.get(key)
        if value is None:
            return model()
        if not isinstance(value, model):
            raise TypeError(f"config section {key!r} is a {type(value).__name__}, not {model}")
        return value


def config_model() -> type[Config]:
    """`Config` with a field for every registered scanner section."""
    return _config_model(tuple(sorted(SECTIONS.items())))


@lru_cache(maxsize=8)
def _config_model(sections: tuple[tuple[str, type[BaseModel]], ...]) -> type[Config]:
    if not sections:
        return Config
    fields: dict[str, Any] = {key: (model, model()) for key, model in sections}
    made: type[Config] = create_model("Config", __base__=Config, **fields)
    return made


def defaults(base_dir: Path | None = None) -> Config:
    """The config a tree without one gets: every registered section at its defaults."""
    return config_model()(base_dir=base_dir)


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """Find and validate the config for a scan root; defaults when there is none."""
    if explicit is not None:
        if explicit.name == "pyproject.toml":
            return _from_pyproject(explicit, required=True)
        return _from_yaml(explicit)
    candidate = root / CONFIG_FILE
    if candidate.is_file():
        return _from_yaml(candidate)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        found = _from_pyproject(pyproject, required=False)
        if found is not None:
            return found
    return defaults(root)


def _from_yaml(path: Path) -> Config:
    loaded = load_yaml(path)
    if loaded.data is not None and not isinstance(loaded.data, dict):
        raise ConfigError("the top level must be a mapping of keys", path=str(path), line=1)
    cfg = validate(config_model(), loaded, str(path))
    return cfg.model_copy(update={"source": str(path), "base_dir": path.parent.resolve()})


def _from_pyproject(path: Path, *, required: bool) -> Config:
    try:
        data = tomllib.loads(_files.read_text(path))
    except tomllib.TOMLDecodeError as e:
        if not required:
            return defaults(path.parent.resolve())
        raise ConfigError(f"TOML syntax error: {e}", path=str(path)) from e
    section = data.get("tool", {}).get("secscan")
    if section is None:
        if required:
            raise ConfigError("no [tool.secscan] table", path=str(path))
        return defaults(path.parent.resolve())
    # Re-use the YAML path: TOML tables are plain mappings, and errors still name key and file.
    loaded = parse_yaml("{}", str(path))
    loaded.data = section
    cfg = validate(config_model(), loaded, f"{path} [tool.secscan]")
    return cfg.model_copy(update={"source": str(path), "base_dir": path.parent.resolve()})
