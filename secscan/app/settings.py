"""Settings: what a run is judged with, resolved once into a frozen `Settings`.

The command line names files (`Options`); the config file, the policy, the profile, waivers
and baseline are found and loaded from them here, with the trust rules: a scan with no trusted
base warns of every tree setting that weakens the gate (`tree_warnings`), and `ci --new-since`
judges with the merge base's settings, strengthened only (`trusted`). `scan`, `ci`, `audit`,
`hook`, `compliance`, `gate --from` and `baseline` all resolve the same inputs the same way;
the saved Decision records them, so re-judging a results file shows what the scan used.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secscan.app import mirror, toollock
from secscan.app.registry import Registry, installed
from secscan.errors import ConfigError
from secscan.model.decision import Decision
from secscan.model.findings import FindingKind, Severity
from secscan.policy.baseline import BASELINE_FILE, load_baseline
from secscan.policy.judge import DEFAULT_PROFILE, Inputs
from secscan.policy.loader import Catalog, default_catalog, load_policy, profile_or_error
from secscan.policy.waivers import WAIVERS_FILE, load_waivers
from secscan.scanners.base import HasOptions
from secscan.scanners.registry import ScannerRegistry
from secscan.settings import trust
from secscan.settings.config import Config
from secscan.settings.toollock import ToolLock
from secscan.util.files import open_regular
from secscan.util.yamlio import load_yaml
from secscan.workspace import bounds, vcs

if TYPE_CHECKING:
    from secscan.app.incremental import Change

__all__ = [
    "DEFAULT_PROFILE",
    "Options",
    "Registry",
    "Settings",
    "Trusted",
    "default_catalog",
    "for_change",
    "for_saved",
    "for_tree",
    "recorded_settings",
    "registry",
    "resolve",
    "top_level",
    "tree_scanners",
    "tree_warnings",
    "trusted",
]


def registry() -> Registry:
    """The plugin registry (scanners, formats, frameworks): built once per process, at the
    top of a command, and passed down."""
    return installed()


def tree_scanners(plugins: Registry) -> list[str]:
    """Every registered scanner that reads the tree: what "all scanners" runs over it. An
    image scanner reads only an image named on the command line, so a config that leaves it
    out drops nothing.
    """
    return [n for n, cls in plugins.scanners.classes.items() if cls.kind is not FindingKind.IMAGE]


def top_level(cwd: Path) -> Path:
    """The git top level of `cwd`, else `cwd` itself (the hook's scan root)."""
    return vcs.toplevel(cwd) or cwd.resolve()


@dataclass(frozen=True)
class Options:
    """The judging settings a command line names (None: not named)."""

    config_file: Path | None = None
    profile: str | None = None
    policy_dir: Path | None = None
    waivers: Path | None = None
    baseline: Path | None = None
    fail_on: Severity | None = None
    #: --tools-lock (None: SECSCAN_TOOLS_LOCK, else ROOT/.secscan-tools.lock; secscan.app.toollock).
    tools_lock: Path | None = None

    def files(self) -> dict[str, Path | None]:
        return {
            "config_file": self.config_file,
            "policy_dir": self.policy_dir,
            "waivers": self.waivers,
            "baseline": self.baseline,
        }


@dataclass(frozen=True)
class Settings:
    """Everything a run is judged with, resolved once and passed down."""

    #: The scan root, resolved.
    root: Path
    config: Config
    inputs: Inputs
    #: The plugins the run builds its scanners from: built once by the command.
    plugins: Registry
    #: Said in every report before the judgement's own warnings (tree settings that weaken
    #: the gate; --trust-tree-settings).
    warnings: tuple[str, ...] = ()
    #: `ci --new-since`: the merge base's settings and what the change tried to weaken.
    trusted: Trusted | None = None
    #: `ci --new-since`: the merge base, computed once and exported.
    change: Change | None = None
    #: The tools lock every scanner's executable is checked against (None: none in force).
    tool_lock: ToolLock | None = None

    @property
    def scanners(self) -> ScannerRegistry:
        """The registry the run builds its scanners from, with the tools lock in force."""
        return replace(self.plugins.scanners, tool_lock=self.tool_lock)

    def with_lock(self, options: Options) -> Settings:
        """These settings with the lock their profile asks for (secscan.app.toollock)."""
        found = toollock.in_force(
            self.root,
            options.tools_lock,
            self.inputs.profile.gate.tools_lock,
            self.inputs.profile.name,
            self.change,
        )
        return replace(self, tool_lock=found.lock, warnings=(*self.warnings, *found.warnings))


def for_tree(path: Path, options: Options, plugins: Registry, *, warn: bool = True) -> Settings:
    """A tree's own settings. Policy mistakes are found here, before any scanner runs (exit
    2, in seconds, not minutes). `warn`: with no trusted base to compare with, warn of each
    tree setting that weakens the gate compared with secscan's defaults."""
    config = plugins.load_config(path, options.config_file)
    root = path.resolve()
    inputs = resolve(
        root,
        config,
        profile=options.profile,
        policy_dir=options.policy_dir,
        waivers=options.waivers,
        baseline=options.baseline,
        fail_on=options.fail_on,
        catalog=default_catalog(),
    )
    if _outside(options.config_file, root):  # a trusted config: its mirror must be too
        mirror.checked(config.resolve(config.advisories.db), bounds.trees_of(root), "advisories.db")
    warnings = (
        tree_warnings(root, config, inputs, tree_scanners(plugins), **options.files())
        if warn
        else ()
    )
    return Settings(root, config, inputs, plugins, warnings).with_lock(options)


def for_change(path: Path, options: Options, change: Change, plugins: Registry) -> Settings:
    """`ci --new-since`: the gate settings come from the merge base, so the change under
    review is judged by what the branch it wants to join already agreed on."""
    root = path.resolve()
    chosen = trusted(
        root,
        change.tree / change.sub,
        scanner_names=tree_scanners(plugins),
        profile=options.profile,
        catalog=default_catalog(),
        tops=(change.top, change.tree),
        **options.files(),
    )
    return Settings(
        root, chosen.config, chosen.inputs, plugins, trusted=chosen, change=change
    ).with_lock(options)


def for_saved(decision: Decision | None, options: Options, plugins: Registry) -> Settings:
    """The settings to judge saved results again with: the present command line and trusted
    defaults only. A results file is untrusted input, so the policy directory, waivers,
    baseline, profile, fail-on override and root recorded in it are never used (see
    `recorded_settings`, which shows them).
    """
    del decision  # recorded there, and deliberately not used
    root = Path.cwd()
    config = installed().scanners.default_config(base_dir=root)
    inputs = resolve(
        root,
        config,
        profile=options.profile or DEFAULT_PROFILE,
        policy_dir=options.policy_dir,
        waivers=options.waivers,
        baseline=options.baseline,
        fail_on=options.fail_on,
        default_waivers=False,
    )
    return Settings(root.resolve(), config, inputs, plugins)


def resolve(
    root: Path,
    config: Config | None = None,
    *,
    profile: str | None = None,
    policy_dir: Path | None = None,
    waivers: Path | None = None,
    baseline: Path | None = None,
    fail_on: Severity | None = None,
    catalog: Catalog | None = None,
    default_waivers: bool = True,
) -> Inputs:
    """Explicit options win over the config; a file that is named but missing is an error
    (a gate that silently judged without its waivers or baseline would judge differently).
    `default_waivers` picks up ROOT/.secscan-waivers.yaml when nothing names a waivers file,
    and ROOT/.secscan-baseline.json when nothing names a baseline.
    """
    cfg = config or installed().scanners.default_config(base_dir=root)
    user_dir = _absolute(policy_dir) or _absolute(cfg.resolve(cfg.policy))
    policy = load_policy(user_dir, catalog=catalog)
    chosen = profile_or_error(policy, profile or cfg.profile or DEFAULT_PROFILE)
    found_in = root if default_waivers else None
    waivers_path = _named(waivers, cfg, cfg.waivers, found_in, WAIVERS_FILE)
    loaded_waivers = (
        load_waivers(waivers_path, max_days=chosen.gate.max_waiver_days, root=root)
        if waivers_path is not None
        else None
    )
    # `secscan baseline create` writes ROOT/.secscan-baseline.json: the next scan uses it.
    baseline_path = _named(baseline, cfg, cfg.baseline, found_in, BASELINE_FILE)
    loaded_baseline = load_baseline(baseline_path) if baseline_path is not None else None
    if fail_on is None and "fail_on" in cfg.model_fields_set:
        fail_on = cfg.fail_on
    return Inputs(policy, chosen, user_dir, loaded_waivers, loaded_baseline, fail_on)


def _named(
    option: Path | None, cfg: Config, configured: str | None, root: Path | None, name: str
) -> Path | None:
    """The option, else the config's setting, else ROOT/name when there (root None: never)."""
    named = _absolute(option) or _absolute(cfg.resolve(configured))
    if named is None and root is not None and os.path.lexists(root / name):
        return (root / name).absolute()
    return named


def recorded_settings(decision: Decision | None) -> str | None:
    """What a results file says it was judged with, as information for the reader."""
    if decision is None:
        return None
    parts = [f"profile {decision.profile}"]
    for what, value in (
        ("policy directory", decision.policy_dir),
        ("waivers", decision.waivers_file),
        ("baseline", decision.baseline),
        ("fail-on override", decision.fail_on_override),
    ):
        if value:
            parts.append(f"{what} {value}")
    return (
        "the results file records it was judged with "
        + ", ".join(parts)
        + "; re-judged here only with this command line's options and the defaults"
    )


@dataclass(frozen=True)
class Side:
    """One tree's settings as loaded: for judging, and for comparing with the other tree."""

    config: Config
    inputs: Inputs
    settings: trust.Settings


@dataclass(frozen=True)
class Trusted:
    """What `ci --new-since` judges with: the merge base's settings, strengthened by the
    change under review where it only strengthens, and the weakenings it attempted.
    """

    config: Config
    inputs: Inputs
    weakenings: tuple[trust.Weakening, ...]
    #: Where the config's `output_dir` lands in the tree under review (None: not set).
    output_dir: Path | None


def trusted(
    head_root: Path,
    base_root: Path,
    *,
    scanner_names: Sequence[str],
    config_file: Path | None = None,
    profile: str | None = None,
    policy_dir: Path | None = None,
    waivers: Path | None = None,
    baseline: Path | None = None,
    catalog: Catalog | None = None,
    tops: tuple[Path, Path] | None = None,
) -> Trusted:
    """Read both trees' settings, judge with the base's and name what the head weakens.

    A file named on the command line outside the tree under review is trusted and used on
    both sides; one inside it is read from each tree at the same relative path. So is the
    advisory mirror a trusted config names (`mirror.at_base`). `tops`: the git top levels
    of the tree under review and of the base's export (default: the two roots).
    """
    head_root, base_root = head_root.resolve(), base_root.resolve()
    head_top, base_top = tops or (head_root, base_root)
    judges = installed().scanners.section_judges()

    def there(p: Path | None) -> Path | None:
        """A file named on the command line, as the base has it (None: the base has none)."""
        if p is None:
            return None
        p = p.expanduser().resolve()
        if not p.is_relative_to(head_root):
            return p
        at_base = base_root / p.relative_to(head_root)
        return at_base if at_base.exists() else None

    head_cfg = installed().load_config(head_root, config_file)
    base_cfg, base = _base_side(
        base_root,
        there(config_file),
        config_file is not None,
        scanner_names,
        judges=judges,
        profile=profile,
        policy_dir=there(policy_dir),
        waivers=there(waivers),
        baseline=there(baseline),
        catalog=catalog,
    )
    base_cfg, base_copy = mirror.at_base(base_cfg, head_top, base_top)
    if base_copy is not None:  # the base's copy is what the head's mirror is compared with
        base = replace(base, settings=replace(base.settings, advisory_db_digest=_digest(base_copy)))
    head = read_side(
        head_root,
        head_cfg,
        scanner_names,
        judges=judges,
        profile=profile,
        policy_dir=policy_dir,
        waivers=waivers,
        baseline=baseline,
        catalog=catalog,
    )
    weakenings = trust.compare(base.settings, head.settings, judges)
    weakened = {w.setting for w in weakenings}
    config, _ = mirror.at_base(trust.strengthened(base.settings, head.settings, judges),
                               head_top, base_top)  # fmt: skip
    inputs = replace(
        base.inputs,
        # Removing waivers or baseline entries only strengthens: it applies at once.
        waivers=head.inputs.waivers if "waivers" not in weakened else base.inputs.waivers,
        baseline=head.inputs.baseline if "baseline" not in weakened else base.inputs.baseline,
        fail_on=config.fail_on if "fail_on" in config.model_fields_set else None,
    )
    return Trusted(config, inputs, weakenings, _output_dir(config, base_cfg, base_root, head_root))


def _base_side(
    base_root: Path,
    explicit: Path | None,
    named: bool,
    scanner_names: Sequence[str],
    **options: Any,
) -> tuple[Config, Side]:
    """The merge base's config and side; an error in them names the file as the repository
    has it, not by the temporary checkout's path. `named`: a config file was named (and
    `explicit` is None when the base does not have it)."""
    try:
        if named and explicit is None:
            base_cfg = installed().scanners.default_config(
                base_dir=base_root
            )  # a config file the base does not have
        else:
            base_cfg = installed().load_config(base_root, explicit)
        return base_cfg, read_side(base_root, base_cfg, scanner_names, **options)
    except ConfigError as e:
        where = Path(e.path).resolve() if e.path else None
        rel = (
            where.relative_to(base_root).as_posix()
            if where and where.is_relative_to(base_root)
            else e.path
        )
        raise type(e)(
            f"{e.message} (in the merge base's committed settings, which judge this change)",
            path=rel,
            line=e.line,
            key=e.key,
        ) from e


def _output_dir(config: Config, base_cfg: Config, base_root: Path, head_root: Path) -> Path | None:
    """Where the config's `output_dir` lands in the tree under review (None: not set)."""
    if config.output_dir is None:
        return None
    folder = base_cfg.base_dir or base_root
    if folder.is_relative_to(base_root):
        return head_root / folder.relative_to(base_root) / config.output_dir
    return config.resolve(config.output_dir)


def tree_warnings(
    root: Path,
    config: Config,
    inputs: Inputs,
    scanner_names: Sequence[str],
    *,
    config_file: Path | None = None,
    policy_dir: Path | None = None,
    waivers: Path | None = None,
    baseline: Path | None = None,
) -> tuple[str, ...]:
    """A scan with no trusted base: every setting from the tree that weakens the gate
    compared with secscan's defaults, as warnings. Files named outside the tree are trusted.
    """
    root = root.resolve()
    judges = installed().scanners.section_judges()
    head = _settings(root, config, inputs, scanner_names, judges)

    def outside(p: Path | None) -> bool:
        return _outside(p, root)

    defaults = installed().scanners.default_config(base_dir=root)
    base = trust.Settings(
        config=config if outside(config_file) else defaults,
        scanners=head.scanners if outside(config_file) else tuple(scanner_names),
        source=head.source,
        files=head.files if outside(config_file) else _files(defaults, judges),
    )
    if outside(policy_dir):
        base = replace(base, policy_path=head.policy_path, policy_digest=head.policy_digest)
    if outside(waivers):
        base = replace(base, waivers_path=head.waivers_path, waivers=head.waivers)
    if outside(baseline):
        base = replace(base, baseline_path=head.baseline_path, baseline=head.baseline)
    if outside(config_file):
        base = replace(base, advisory_db_digest=head.advisory_db_digest)
    return trust.describe(trust.compare(base, head, judges))


def _outside(p: Path | None, root: Path) -> bool:
    """Whether `p` names a file outside the scan root: trusted, used as given."""
    return p is not None and not p.expanduser().resolve().is_relative_to(root.resolve())


def read_side(
    root: Path,
    config: Config,
    scanner_names: Sequence[str],
    *,
    judges: Mapping[str, Sequence[HasOptions]],
    profile: str | None = None,
    policy_dir: Path | None = None,
    waivers: Path | None = None,
    baseline: Path | None = None,
    catalog: Catalog | None = None,
) -> Side:
    inputs = resolve(
        root,
        config,
        profile=profile,
        policy_dir=policy_dir,
        waivers=waivers,
        baseline=baseline,
        catalog=catalog,
    )
    return Side(config, inputs, _settings(root, config, inputs, scanner_names, judges))


def _settings(
    root: Path,
    config: Config,
    inputs: Inputs,
    scanner_names: Sequence[str],
    judges: Mapping[str, Sequence[HasOptions]],
) -> trust.Settings:
    w = inputs.waivers
    waiver_texts = tuple(
        trust.waiver_text(
            rule=lw.waiver.rule,
            path=lw.waiver.path,
            fingerprint=lw.waiver.fingerprint,
            scanner=lw.waiver.scanner,
            expires=lw.waiver.expires.isoformat(),
        )
        for lw in (w.waivers if w is not None else ())
    )
    db = config.resolve(config.advisories.db)
    return trust.Settings(
        config=config,
        scanners=tuple(config.scanners) if config.scanners is not None else tuple(scanner_names),
        source=_rel(Path(config.source), root) if config.source else None,
        policy_path=_rel(inputs.policy_dir, root) if inputs.policy_dir else None,
        policy_digest=_digest(inputs.policy_dir) if inputs.policy_dir else None,
        waivers_path=_rel(Path(w.source), root) if w is not None and w.source else None,
        waivers=waiver_texts,
        baseline_path=_rel(Path(inputs.baseline.source), root)
        if inputs.baseline is not None
        else None,
        baseline=dict(inputs.baseline.counts) if inputs.baseline is not None else {},
        files=_files(config, judges),
        advisory_db_digest=_digest(db) if db is not None else None,
        lines=_lines(config),
    )


def _lines(config: Config) -> dict[str, int]:
    """Where each setting is in a YAML config, so a weakening points at its line."""
    if not config.source or not config.source.endswith((".yaml", ".yml")):
        return {}
    try:
        loaded = load_yaml(Path(config.source))
    except ConfigError:
        return {}
    out: dict[str, int] = {}
    data = loaded.data if isinstance(loaded.data, dict) else {}
    for key, value in data.items():
        line = loaded.line_of([key])
        if line is not None:
            out[str(key)] = line
        for sub in value if isinstance(value, dict) else ():
            line = loaded.line_of([key, sub])
            if line is not None:
                out[f"{key}.{sub}"] = line
    return out


def _files(
    config: Config, judges: Mapping[str, Sequence[HasOptions]]
) -> dict[str, tuple[trust.FileEntry, ...]]:
    """Every option entry that names a file, by "section.field", with the file's digest:
    each section's owners say which entries name files whose content they read."""
    out: dict[str, tuple[trust.FileEntry, ...]] = {}
    for key, owners in sorted(judges.items()):
        if key not in config.SECTIONS:
            continue
        opts = trust.section(config, key)
        named: dict[str, list[str]] = {}
        for owner in owners:
            for field, entries in owner.option_files(opts).items():
                named.setdefault(field, []).extend(entries)
        for field, listed in sorted(named.items()):
            out[f"{key}.{field}"] = tuple(_file_entry(config, e) for e in dict.fromkeys(listed))
    return out


def _file_entry(config: Config, entry: str) -> trust.FileEntry:
    p = config.resolve(entry)
    if p is not None and p.exists():
        return trust.FileEntry(entry, _digest(p), str(p.resolve()))
    return trust.FileEntry(entry, "", entry)


def _rel(p: Path | None, root: Path) -> str | None:
    if p is None:
        return None
    p = p.resolve()
    return p.relative_to(root).as_posix() if p.is_relative_to(root) else str(p)


#: How much a settings digest reads before it gives up: a PR that points a setting at "/" or
#: a huge tree must not stall the gate.
DIGEST_MAX_FILES = 20_000
DIGEST_MAX_BYTES = 512 * 1024 * 1024


def _digest(p: Path) -> str:
    """The content of a file or directory tree (names and bytes; links are not followed).

    A tree over DIGEST_MAX_FILES files or DIGEST_MAX_BYTES bytes gets a digest that equals no
    other (fail closed: content that cannot be compared is never taken as unchanged)."""
    h = hashlib.sha256()
    if p.is_file():
        files = [p]
    elif p.is_dir():
        files = []
        for d, _dirs, names in os.walk(p, followlinks=False):
            files.extend(Path(d) / f for f in names)
            if len(files) > DIGEST_MAX_FILES:
                return _uncomparable()
        files.sort()
    else:
        return "missing"
    read = 0
    for f in files:
        h.update(f.relative_to(p).as_posix().encode() if f != p else b"")
        h.update(b"\0")
        try:
            if f.is_symlink():
                h.update(b"link:" + os.readlink(f).encode())
            else:
                with open_regular(f) as fh:  # a FIFO would block the gate
                    while chunk := fh.read(1 << 20):
                        read += len(chunk)
                        if read > DIGEST_MAX_BYTES:
                            return _uncomparable()
                        h.update(chunk)
        except OSError as e:
            h.update(f"unreadable:{e.errno}".encode())
        h.update(b"\0")
    return h.hexdigest()


#: A file's or directory tree's content digest (the policy digest of signed evidence).
content_digest = _digest


def _uncomparable() -> str:
    return f"too-large-to-compare:{secrets.token_hex(16)}"


def _absolute(p: Path | None) -> Path | None:
    # Not resolved: a named file that is a symbolic link must reach the reader as one
    # (which refuses it), not as wherever it points.
    return p.expanduser().absolute() if p is not None else None
