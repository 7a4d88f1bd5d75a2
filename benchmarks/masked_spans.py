"""Every span the redactor masks on a real project, for labelling (precision of redaction).

Runs `secscan scan` in this process on a tree with the redactor's one masking function
wrapped, so each masked value is seen with its kind and a little context, then prints the
distinct masked values grouped by kind. With a label file (`benchmarks/masked-labels.yaml`:
project -> value digest -> credential/not-credential and a reason) it counts the masks that
are labelled not a credential, and lists the unlabelled ones. Values are printed only with
`--show` (labelling is done on a local copy of the project; the label file holds digests).

    python benchmarks/masked_spans.py TREE --project NAME [--show] [--labels FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import yaml

from secscan.cli import main as secscan_main
from secscan.model import redact

REPO = Path(__file__).resolve().parent.parent
LABELS = REPO / "benchmarks" / "masked-labels.yaml"
MASK = "[redacted"
#: How many distinct lines to keep per masked value (shown with --show, for labelling).
CONTEXTS = 3


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def collect(tree: Path, advisory_db: Path | None) -> dict[str, tuple[str, Counter[str], set[str]]]:
    """digest -> (value, kinds with counts, the lines it was masked in) of every masked span
    of one scan (a value is labelled by the contexts it was masked in)."""
    seen: dict[str, tuple[str, Counter[str], set[str]]] = {}
    original = redact._apply

    def recording(text: str, spans: list[redact.Span]) -> str:
        masked = original(text, spans)
        for s in spans:
            value = text[s.start : s.end]
            entry = seen.setdefault(digest(value), (value, Counter(), set()))
            entry[1][s.kind] += 1
            if MASK not in text and len(entry[2]) < CONTEXTS:
                a = text.rfind("\n", 0, s.start) + 1
                b = text.find("\n", s.end)
                b = len(text) if b == -1 else b
                entry[2].add(text[max(a, s.start - 60) : min(b, s.end + 40)])
        return masked

    redact._apply = recording  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory(prefix="secscan-masked-") as out:
            argv = ["scan", str(tree), "--profile", "ci", "--output-dir", out, "--no-cache", "-q"]
            if advisory_db:
                argv += ["--advisory-db", str(advisory_db)]
            os.environ.setdefault("SEMGREP_ENABLE_VERSION_CHECK", "0")
            try:
                secscan_main(argv)
            except SystemExit:
                pass
    finally:
        redact._apply = original  # type: ignore[assignment]
    return seen


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("tree", type=Path)
    ap.add_argument("--project", required=True)
    ap.add_argument("--advisory-db", type=Path)
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--show", action="store_true", help="print the masked values themselves")
    args = ap.parse_args()
    seen = collect(args.tree, args.advisory_db)
    labels: dict[str, dict[str, str]] = {}
    if args.labels.exists():
        labels = (yaml.safe_load(args.labels.read_text()) or {}).get(args.project, {}) or {}
    by_label: Counter[str] = Counter()
    unlabelled: dict[str, list[str]] = defaultdict(list)
    for d, (value, kinds, contexts) in sorted(seen.items(), key=lambda kv: kv[1][0]):
        label = labels.get(d, {}).get("label", "unlabelled") if labels.get(d) else "unlabelled"
        by_label[label] += 1
        kind = ",".join(sorted(kinds))
        line = f"  {d}  {kind:28} x{sum(kinds.values()):<4}"
        if args.show:
            line += f" {value!r}" + "".join(f"\n        in: {c!r}" for c in sorted(contexts))
        if label == "unlabelled":
            unlabelled[kind].append(line)
        elif label != "credential" and args.show:
            print(f"NOT A CREDENTIAL ({labels[d].get('reason', '')}):{line}")
    print(
        f"{args.project}: {len(seen)} distinct masked values; "
        + ", ".join(f"{k} {v}" for k, v in sorted(by_label.items()))
    )
    for kind, lines in sorted(unlabelled.items()):
        print(f"unlabelled, {kind}:")
        print("\n".join(lines))
    return 1 if by_label.get("not-credential") else 0


if __name__ == "__main__":
    sys.exit(main())
