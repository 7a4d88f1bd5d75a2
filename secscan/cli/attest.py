"""`secscan attest` and `secscan verify`: signed evidence of a scan (docs/integrity.md)."""

from __future__ import annotations

from pathlib import Path

import click

from secscan.app import attest as evidence


class _SignByDefault(click.Group):
    """`secscan attest RESULTS ...` signs; `secscan attest keygen ...` makes a key."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["sign", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_SignByDefault)
def attest() -> None:
    """Sign a scan's results, decision and reports as an in-toto attestation (offline key)."""


@attest.command()
@click.argument("results", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("reports", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="PEM private key (ed25519, ECDSA or RSA; `secscan attest keygen` makes one). An "
    "encrypted key's password is read from SECSCAN_ATTEST_KEY_PASSWORD.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Where the DSSE envelope goes [default: {evidence.ATTESTATION_FILE} beside RESULTS].",
)
@click.option(
    "--policy",
    "policy_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The policy directory the scan was judged with (its digest is attested) "
    "[default: the shipped library only].",
)
def sign(
    results: Path,
    reports: tuple[Path, ...],
    key: Path,
    output: Path | None,
    policy_dir: Path | None,
) -> int:
    """Attest RESULTS (a secscan-results.json) and REPORTS [default: every file beside it]."""
    target, doc = evidence.attest(
        results, key, reports=reports or None, output=output, policy_dir=policy_dir
    )
    for s in doc["subject"]:
        click.echo(f"  {s['digest']['sha256']}  {s['name']}")
    click.echo(f"wrote {target} (verdict {doc['predicate']['verdict']})")
    return 0


@attest.command()
@click.argument("private", type=click.Path(dir_okay=False, path_type=Path))
def keygen(private: Path) -> int:
    """Make an ed25519 key pair: PRIVATE (PEM, mode 0600) and PRIVATE.pub (PEM)."""
    public = private.with_name(private.name + ".pub")
    keyid = evidence.keygen(private, public)
    click.echo(f"wrote {private} and {public} (key id {keyid})")
    return 0


@click.command()
@click.argument("attestation", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The signer's PEM public key.",
)
@click.option(
    "--policy-digest",
    default=None,
    help="The policy digest the verdict must have been reached under [default: computed "
    "from --policy, else the shipped library].",
)
@click.option(
    "--policy",
    "policy_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The trusted policy directory whose digest is expected.",
)
def verify(attestation: Path, key: Path, policy_digest: str | None, policy_dir: Path | None) -> int:
    """Verify an attestation: signature, every covered file's digest, verdict, policy digest.

    Exit 0 when it holds, 1 when it does not (the reason is printed), 2 on a usage error.
    """
    if policy_digest is not None and not evidence.is_sha256(policy_digest):
        raise click.BadParameter("not a SHA-256 (64 hex digits)", param_hint="--policy-digest")
    expected = policy_digest or evidence.policy_digest(policy_dir)
    done = evidence.verify(attestation, key, expected_policy=expected)
    click.echo(described(done, expected))
    return 0


def described(done: evidence.Verified, policy: str) -> str:
    """One line saying what a valid attestation vouches for."""
    predicate = done.statement["predicate"]
    return (
        f"attestation OK: key {done.keyid[:16]}, verdict {predicate['verdict']}, profile "
        f"{predicate['profile']}, policy {policy[:16]}, {len(done.files)} file(s) unchanged"
    )
