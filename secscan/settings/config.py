"""`.secscan.yaml` / `[tool.secscan]`: what to scan, with which scanners, where reports go."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, TypeVar, overload

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, field_validator

from secscan.errors import ConfigError
from secscan.model.findings import Scope, Severity
from secscan.util import files as _files
from secscan.util.yamlio import load_yaml, parse_yaml, validate

CONFIG_FILE = ".secscan.yaml"
SCHEMA_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Options(_Strict):
    """Base of a scanner's config section: unknown keys are errors, values are frozen."""


M = TypeVar("M", bound=BaseModel)


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
    #: Names are checked against the report formats of the schema the config was loaded
    #: with (`Schema.formats`: the registry's), not here: settings sit below the renderers.
    formats: tuple[str, ...] = ("json", "sarif", "html")
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

    #: The scanner sections this config class has a field for (key -> model), set on the
    #: class a `Schema` builds; a plain `Config` has none and answers every section with
    #: its defaults.
    SECTIONS: ClassVar[Mapping[str, type[BaseModel]]] = MappingProxyType({})

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

    @overload
    def section(self, key: str, model: type[M]) -> M: ...
    @overload
    def section(self, key: str) -> BaseModel: ...
    def section(self, key: str, model: type[BaseModel] | None = None) -> BaseModel:
        """A scanner's section as validated on load; its defaults when the file has none.

        `model`: the section's model, as its scanner knows it (typed access); without it, the
        model this config's schema has for `key` (a KeyError for a section it does not know).
        """
        model = model if model is not None else self.SECTIONS[key]
        # A field of the Schema's subclass, or set by model_copy(update=...) on a plain one.
        value = self.__dict__.get(key)
        if value is None:
            return model()
        if not isinstance(value, model):
            raise TypeError(f"config section {key!r} is a {type(value).__name__}, not {model}")
        return value


@dataclass(frozen=True)
class Schema:
    """What a config file may say beyond the fixed keys: the registered scanners' sections and
    the report format names, both handed in by the plugin registry that built them (the
    settings layer imports neither a scanner nor a renderer)."""

    #: Section key -> the pydantic model validating it (`Scanner.options_model`).
    sections: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    #: The report formats `formats:` may name; None: names are not checked (a config built
    #: without a format registry, as in scanner-level tests).
    formats: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for key in self.sections:
            if key in Config.model_fields:
                raise ValueError(f"config section {key!r} would shadow a top-level setting")

    @property
    def model(self) -> type[Config]:
        """`Config` with a field for every section and a check of the format names."""
        return _config_model(tuple(sorted(self.sections.items())), self.formats)

    def defaults(self, base_dir: Path | None = None) -> Config:
        """The config a tree without one gets: every section at its defaults."""
        return self.model(base_dir=base_dir)

    def make(self, **values: object) -> Config:
        """A Config built in code, sections included (`make(bandit={"skip": ...})`)."""
        return self.model.model_validate(values)

    def load(self, root: Path, explicit: Path | None = None) -> Config:
        """Find and validate the config for a scan root; defaults when there is none."""
        if explicit is not None:
            if explicit.name == "pyproject.toml":
                return self._from_pyproject(explicit, required=True)
            return self._from_yaml(explicit)
        candidate = root / CONFIG_FILE
        if candidate.is_file():
            return self._from_yaml(candidate)
        pyproject = root / "pyproject.toml"
        if pyproject.is_file():
            return self._from_pyproject(pyproject, required=False)
        return self.defaults(root)

    def _from_yaml(self, path: Path) -> Config:
        loaded = load_yaml(path)
        if loaded.data is not None and not isinstance(loaded.data, dict):
            raise ConfigError("the top level must be a mapping of keys", path=str(path), line=1)
        cfg = validate(self.model, loaded, str(path))
        return cfg.model_copy(update={"source": str(path), "base_dir": path.parent.resolve()})

    def _from_pyproject(self, path: Path, *, required: bool) -> Config:
        try:
            data = tomllib.loads(_files.read_text(path))
        except tomllib.TOMLDecodeError as e:
            if not required:
                return self.defaults(path.parent.resolve())
            raise ConfigError(f"TOML syntax error: {e}", path=str(path)) from e
        section = data.get("tool", {}).get("secscan")
        if section is None:
            if required:
                raise ConfigError("no [tool.secscan] table", path=str(path))
            return self.defaults(path.parent.resolve())
        # Re-use the YAML path: TOML tables are plain mappings; errors still name key and file.
        loaded = parse_yaml("{}", str(path))
        loaded.data = section
        cfg = validate(self.model, loaded, f"{path} [tool.secscan]")
        return cfg.model_copy(update={"source": str(path), "base_dir": path.parent.resolve()})


@lru_cache(maxsize=16)
def _config_model(
    sections: tuple[tuple[str, type[BaseModel]], ...], formats: tuple[str, ...] | None
) -> type[Config]:
    if not sections and formats is None:
        return Config
    fields: dict[str, Any] = {key: (model, model()) for key, model in sections}
    if formats is not None:
        known = formats

        def known_format(name: str) -> str:
            if name not in known:
                raise ValueError(f"unknown report format {name!r}; use one of {', '.join(known)}")
            return name

        # Each name checked on its own: an error names the list item and its line.
        fields["formats"] = (
            tuple[Annotated[str, AfterValidator(known_format)], ...],
            Config.model_fields["formats"].default,
        )
    made: type[Config] = create_model("Config", __base__=Config, **fields)
    made.SECTIONS = MappingProxyType(dict(sections))
    return made


#: The schema of a config that knows no plugin: the fixed keys only.
BARE = Schema()
