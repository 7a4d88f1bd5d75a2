"""`secscan history`: recorded runs, a finding's life, trends, backfill and export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from secscan.app.history import (
    ENV_URL,
    Lifecycle,
    SavedResults,
    Source,
    SqlStore,
    Trends,
    compute,
    default_url,
    from_saved,
    lifecycles,
    line_trends,
    load,
    repository,
    utcnow,
    write_atomic,
)
from secscan.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])


def _url_option(f: F) -> F:
    return click.option(
        "--history",
        "url",
        metavar="URL",
        envvar=ENV_URL,
        default=None,
        help=f"History database [default: ${ENV_URL}, else {default_url()}].",
    )(f)


def _line_options(f: F) -> F:
    f = click.option("--branch", default=None, help="Branch [default: the newest run's].")(f)
    return click.option(
        "--repository", default=None, help="Repository identity [default: the newest run's]."
    )(f)


def _open(url: str | None) -> SqlStore:
    return SqlStore.open(url or default_url())


def _line(store: SqlStore, repo: str | None, branch: str | None) -> tuple[str, str | None]:
    runs = store.runs(repo, branch)
    if not runs:
        raise UsageError("no recorded runs" + (f" for {repo}" if repo else ""))
    newest = runs[-1]
    return newest.repository, branch if branch is not None else newest.branch


@click.group()
def history() -> None:
    """Every recorded scan: new, fixed and reopened findings, time to fix, deadlines."""


@history.command("list")
@_url_option
@_line_options
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
def list_cmd(url: str | None, repository: str | None, branch: str | None, as_json: bool) -> None:
    """The recorded runs, oldest first."""
    store = _open(url)
    try:
        runs = store.runs(repository, branch)
    finally:
        store.close()
    if as_json:
        rows = [
            {
                "id": r.id,
                "repository": r.repository,
                "branch": r.branch,
                "commit": r.commit,
                "at": r.at.isoformat(),
                "profile": r.profile,
                "outcome": r.outcome,
                "state": r.state,
                "source": r.source,
                "findings": r.findings,
            }
            for r in runs
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for r in runs:
        click.echo(
            f"{r.id:>6}  {r.at:%Y-%m-%d %H:%M}  {r.branch or '-':<20} {(r.commit or '-')[:12]:<12} "
            f"{r.outcome or '-':<5} {r.state:<10} {r.findings:>6} finding(s)  {r.repository}"
        )


@history.command("show")
@click.argument("fingerprint")
@_url_option
@_line_options
def show_cmd(fingerprint: str, url: str | None, repository: str | None, branch: str | None) -> None:
    """One finding's life: when it was first and last seen, fixed, reopened, waived."""
    store = _open(url)
    try:
        repo, line = _line(store, repository, branch)
        runs = store.load(repo, line)
    finally:
        store.close()
    now = utcnow()
    matches = [life for fp, life in lifecycles(runs, now).items() if fp.startswith(fingerprint)]
    if len(matches) != 1:
        raise UsageError(
            f"{len(matches)} recorded findings have a fingerprint starting {fingerprint!r}"
        )
    life = matches[0]
    seen = life.latest
    click.echo(f"{life.fingerprint}  {seen.severity.value}  {seen.rule_id}  {seen.title}")
    click.echo(f"  where: {seen.path}:{seen.start_line or '-'}  ({seen.scanner}, {seen.kind})")
    click.echo(f"  state: {life.state.value}")
    if life.waiver is not None:
        w = life.waiver
        click.echo(f"  waiver: {w.key}, owner {w.owner}, expires {w.expires.isoformat()}")
    click.echo(f"  first seen {life.first_seen:%Y-%m-%d}, last seen {life.last_seen:%Y-%m-%d}")
    for ev in life.events:
        detail = f"  {ev.detail}" if ev.detail else ""
        click.echo(f"  {ev.at:%Y-%m-%d %H:%M}  run {ev.run_id:<5} {ev.kind.value:<12}{detail}")


@history.command("trends")
@_url_option
@_line_options
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
def trends_cmd(url: str | None, repository: str | None, branch: str | None, as_json: bool) -> None:
    """New and fixed per run and month, open by severity, time to remediate, breaches."""
    store = _open(url)
    try:
        repo, line = _line(store, repository, branch)
        found = line_trends(store, repo, line, utcnow())
    finally:
        store.close()
    if found is None:
        raise UsageError(f"no recorded runs for {repo}")
    tr = found
    if as_json:
        click.echo(json.dumps(trends_dict(tr), indent=2))
        return
    click.echo(f"{tr.repository} on {tr.branch or '-'}: {len(tr.runs)} run(s)")
    click.echo(tr.summary_line())
    click.echo("per month (new / fixed):")
    for m in tr.months:
        click.echo(f"  {m.month}  +{m.new} / -{m.fixed}")
    click.echo("mean time to remediate:")
    for rem in tr.remediation:
        mean = "-" if rem.mean_days is None else f"{rem.mean_days:.1f} days"
        click.echo(f"  {rem.severity.value:<8} {mean} ({rem.fixes} fix(es))")
    if tr.last is not None:
        open_now = ", ".join(f"{s.value} {n}" for s, n in tr.last.open if n)
        click.echo(f"open now: {open_now or 'none'}; waived {tr.last.waived}")
    click.echo(f"past their deadline: {len(tr.breaches)}")
    for f in tr.breaches[:20]:
        click.echo(
            f"  {f.fingerprint[:16]}  {f.severity.value:<8} {f.age_days:.0f} days open "
            f"(deadline {f.deadline_days})  {f.rule_id}  {f.path}:{f.line or '-'}"
        )


@history.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@_url_option
@click.option("--repository", default=None, help="Repository identity [default: from git].")
@click.option("--branch", default=None, help="Branch [default: the scanned tree's].")
def import_cmd(
    files: tuple[Path, ...], url: str | None, repository: str | None, branch: str | None
) -> None:
    """Backfill from saved secscan-results.json files, in commit-date order."""
    loaded = []
    for path in files:
        saved = load(path)
        root = Path(saved.result.root)
        when = repository_date(root, saved)
        loaded.append((when, str(path), saved, root))
    loaded.sort(key=lambda item: (item[0], item[1]))
    store = _open(url)
    added = skipped = 0
    try:
        for when, _, saved, root in loaded:
            repo = repository or repo_identity(root)
            line = branch if branch is not None else repo_branch(root)
            commit = saved.result.git_commit
            if commit and store.has_run(repo, commit, saved.result.started_at):
                skipped += 1
                continue
            run = from_saved(saved, repository=repo, source=Source.IMPORT, branch=line, at=when)
            store.record(run)
            added += 1
    finally:
        store.close()
    click.echo(f"imported {added} run(s); {skipped} already recorded")


def repository_date(root: Path, saved: SavedResults) -> datetime:
    if root.is_dir():
        found = repository.commit_date(root, saved.result.git_commit)
        if found is not None:
            return found
    return saved.result.started_at


def repo_identity(root: Path) -> str:
    return repository.identity(root) if root.is_dir() else str(root)


def repo_branch(root: Path) -> str | None:
    return repository.branch(root) if root.is_dir() else None


@history.command("export")
@_url_option
@_line_options
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def export_cmd(
    url: str | None, repository: str | None, branch: str | None, fmt: str, output: Path | None
) -> None:
    """Every finding's lifecycle (CSV), or runs, lifecycles and trends (JSON)."""
    store = _open(url)
    try:
        repo, line = _line(store, repository, branch)
        runs = store.load(repo, line)
    finally:
        store.close()
    now = utcnow()
    lives = sorted(lifecycles(runs, now).values(), key=lambda life: life.fingerprint)
    if fmt == "csv":
        text = lifecycles_csv(lives, now)
    else:
        text = json.dumps(
            {
                "repository": repo,
                "branch": line,
                "findings": [lifecycle_dict(life, now) for life in lives],
                "trends": trends_dict(compute(runs, now)),
            },
            indent=2,
            sort_keys=True,
        )
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        write_atomic(output, text)
        click.echo(f"wrote {output}")


CSV_FIELDS = (
    "fingerprint",
    "state",
    "severity",
    "scanner",
    "rule_id",
    "kind",
    "path",
    "line",
    "first_seen",
    "last_seen",
    "fixed_at",
    "open_since",
    "age_days",
    "reopened",
    "waiver_owner",
    "waiver_expires",
)


def lifecycle_dict(life: Lifecycle, now: datetime) -> dict[str, Any]:
    seen = life.latest
    age = life.age_days(now)
    return {
        "fingerprint": life.fingerprint,
        "state": life.state.value,
        "severity": seen.severity.value,
        "scanner": seen.scanner,
        "rule_id": seen.rule_id,
        "kind": seen.kind,
        "path": seen.path,
        "line": seen.start_line,
        "first_seen": life.first_seen.isoformat(),
        "last_seen": life.last_seen.isoformat(),
        "fixed_at": life.fixed_at.isoformat() if life.fixed_at else None,
        "open_since": life.open_since.isoformat() if life.open_since else None,
        "age_days": None if age is None else round(age, 2),
        "reopened": len(life.episodes) - 1,
        "waiver_owner": life.waiver.owner if life.waiver else None,
        "waiver_expires": life.waiver.expires.isoformat() if life.waiver else None,
    }


def lifecycles_csv(lives: list[Lifecycle], now: datetime) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for life in lives:
        row = lifecycle_dict(life, now)
        # A spreadsheet runs a cell that starts with = + - @ as a formula: the path and rule
        # come from the scanned repository.
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return buf.getvalue()


def _cell(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def trends_dict(tr: Trends) -> dict[str, Any]:
    return {
        "repository": tr.repository,
        "branch": tr.branch,
        "now": tr.now.isoformat(),
        "summary": tr.summary_line(),
        "deadlines": {s.value: d for s, d in tr.deadlines},
        "runs": [
            {
                "run": p.run_id,
                "at": p.at.isoformat(),
                "commit": p.commit,
                "new": p.new,
                "fixed": p.fixed,
                "reopened": p.reopened,
                "open": {s.value: n for s, n in p.open},
                "waived": p.waived,
                "complete": p.complete,
                "controls": dict(p.controls),
            }
            for p in tr.runs
        ],
        "months": [{"month": m.month, "new": m.new, "fixed": m.fixed} for m in tr.months],
        "mean_time_to_remediate_days": {
            r.severity.value: None if r.mean_days is None else round(r.mean_days, 2)
            for r in tr.remediation
        },
        "open_findings": [
            {
                "fingerprint": f.fingerprint,
                "severity": f.severity.value,
                "state": f.state.value,
                "rule_id": f.rule_id,
                "path": f.path,
                "line": f.line,
                "age_days": round(f.age_days, 2),
                "deadline_days": f.deadline_days,
                "breached": f.breached,
            }
            for f in tr.open_findings
        ],
    }
