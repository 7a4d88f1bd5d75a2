"""Scanner plugins: built-ins by name, plus third parties under the `secscan.scanners` group."""

from __future__ import annotations

import importlib
import logging
import os
import stat
from importlib.metadata import entry_points
from pathlib import Path

from secscan.errors import ConfigError, SecscanError, UsageError
from secscan.scanners.base import Scanner
from secscan.settings import config as _config
from secscan.settings.config import Config
from secscan.util import files as _files
from secscan.util.yamlio import alias_bomb

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "secscan.scanners"

#: name -> "module:Class". Adding a built-in scanner is one module and one line here.
BUILTINS: dict[str, str] = {
    "bandit": "secscan.scanners.bandit:BanditScanner",
    "semgrep": "secscan.scanners.semgrep:SemgrepScanner",
    "pip-audit": "secscan.scanners.pip_audit:PipAuditScanner",
    "iac": "secscan.scanners.trivy_config:TrivyConfigScanner",
    "secrets": "secscan.scanners.trivy_secrets:TrivySecretsScanner",
    "image": "secscan.scanners.trivy_image:TrivyImageScanner",
    "crossflow": "secscan.scanners.crossflow:CrossFlowScanner",
}


def _load(ref: str) -> type[Scanner]:
    module, _, attr = ref.partition(":")
    cls: type[Scanner] = getattr(importlib.import_module(module), attr)
    return cls


def registry() -> dict[str, type[Scanner]]:
    """Every scanner that can be built: built-ins win over a third party of the same name.

    Built-ins are imported first, so their config sections are registered before any
    plugin's: a plugin claiming a built-in's section fails to load, never the built-in.
    """
    builtins = {name: _load(ref) for name, ref in BUILTINS.items()}
    found: dict[str, type[Scanner]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in BUILTINS:
            log.warning("ignoring third-party scanner %r: the name belongs to a built-in", ep.name)
            continue
        try:
            found[ep.name] = ep.load()
        except Exception as e:  # a broken plugin must not take down the built-ins
            log.warning("cannot load scanner plugin %r (%s): %s", ep.name, ep.value, e)
    return {**found, **builtins}


def runs_by_default(name: str, cls: type[Scanner]) -> bool:
    """Whether a config without `scanners:` runs it: every built-in (a missing built-in tool
    is a scanner error, as ever); a third party only when it says so and its tool is here."""
    if name in BUILTINS:
        return True
    if not getattr(cls, "default", True):
        return False
    try:
        cls().version()
    except SecscanError as e:
        log.info("third-party scanner %r left out of the default set: %s", name, e)
        return False
    return True


def defaults() -> list[str]:
    """The scanners a config without `scanners:` runs."""
    return [name for name, cls in registry().items() if runs_by_default(name, cls)]


def credential_rules() -> frozenset[tuple[str, str]]:
    """(scanner, rule id) of every rule whose matched code is itself a credential."""
    return frozenset(
        (name, rule)
        for name, cls in registry().items()
        for rule in getattr(cls, "credential_rules", frozenset())
    )


def section_judges() -> dict[str, tuple[Scanner, ...]]:
    """Config section key -> the scanners owning it, which judge changes to it (`trust`).

    A scanner without the judging methods (one written to an older interface) is left
    out; a section nobody judges has every change count as a weakening.
    """
    out: dict[str, list[Scanner]] = {}
    for cls in registry().values():
        key = getattr(cls, "options_key", None)
        if key is not None and hasattr(cls, "weakenings") and hasattr(cls, "strengthened"):
            out.setdefault(key, []).append(cls())
    return {key: tuple(owners) for key, owners in out.items()}


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """`config.load_config` with every registered scanner's section known (and validated)."""
    registry()  # importing each scanner registers its options model
    config = _config.load_config(root, explicit)
    check_named_files(config)
    return config


def check_named_files(config: Config) -> None:
    """Every file or directory a scanner option names (semgrep rules, a plugin's checks
    file) and the advisory mirror: a regular file or a directory of them, no symbolic link,
    no device, FIFO or socket, bounded in size. The scanner itself reads these (semgrep
    would read `/dev/zero` until the machine runs out of memory): refused before it runs,
    exit 2 naming the file and the setting."""
    for key, owners in sorted(section_judges().items()):
        if key not in _config.SECTIONS:
            continue
        opts = config.section(key, _config.SECTIONS[key])
        for owner in owners:
            for field, entries in owner.option_files(opts).items():
                for entry in entries:
                    p = config.resolve(entry)
                    why = _files.refusal(p, directory=True) if p is not None else None
                    if why is None and p is not None and config.base_dir is not None:
                        why = _files.link_above(p, config.base_dir)
                    if why is not None:
                        raise ConfigError(why, path=str(p), key=f"{key}.{field}")
                    if p is not None:
                        _no_alias_bomb(p, f"{key}.{field}")
    for key, value in (
        ("policy", config.policy),
        ("waivers", config.waivers),
        ("baseline", config.baseline),
        ("advisories.db", config.advisories.db),
    ):
        p = config.resolve(value)
        why = _files.link_above(p, config.base_dir) if p and config.base_dir else None
        if why is not None:
            raise ConfigError(why, path=str(p), key=key)
    db = config.resolve(config.advisories.db)
    if db is not None and os.path.lexists(db):
        st = os.lstat(db)
        if not stat.S_ISDIR(st.st_mode):
            raise ConfigError(
                f"is {_files.kind(st.st_mode)}, not a directory: refused",
                path=str(db),
                key="advisories.db",
            )


def _no_alias_bomb(path: Path, key: str) -> None:
    """A YAML file (or the YAML files of a directory) the tool parses itself: one whose
    aliases expand past `_yaml.MAX_EXPANDED_NODES` is refused before the tool expands it."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
    else:
        files = [path] if path.suffix in (".yaml", ".yml") else []
    for f in files:
        if not f.is_file():
            continue
        why = alias_bomb(_files.read_text(f))
        if why is not None:
            raise ConfigError(why, path=str(f), key=key)


def default_config(base_dir: Path | None = None) -> Config:
    """The config of a tree without one, with every registered scanner's section."""
    registry()
    return _config.defaults(base_dir)


def make_config(**values: object) -> Config:
    """A Config built in code, scanner sections included (`make_config(bandit={"skip": ...})`)."""
    registry()
    return _config.config_model().model_validate(values)


def build(names: list[str] | tuple[str, ...] | None = None) -> list[Scanner]:
    """Instantiate the named scanners (the default set when None), in a stable order."""
    reg = registry()
    if names is None:
        names = defaults()
    unknown = [n for n in names if n not in reg]
    if unknown:
        raise UsageError(
            f"unknown scanner {', '.join(repr(n) for n in unknown)}; "
            f"known: {', '.join(sorted(reg))}"
        )
    return [reg[n]() for n in dict.fromkeys(names)]
