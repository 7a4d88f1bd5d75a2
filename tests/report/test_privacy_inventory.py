"""The personal-data inventory of the sample app, in its three formats."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from tests.conftest import CliRun

APP = Path(__file__).resolve().parents[1] / "fixtures" / "privacy" / "shop"


def test_the_inventory_lists_categories_storage_flows_and_recipients(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    root = tmp_path / "shop"
    shutil.copytree(APP, root)
    (root / ".secscan.yaml").write_text("version: 1\nscanners: [privacy]\n", encoding="utf-8")
    out = tmp_path / "out"
    ran = run_cli(
        "scan",
        str(root),
        "--no-cache",
        "--output-dir",
        str(out),
        *("--format", "privacy-inventory"),
        *("--format", "privacy-inventory-json"),
        *("--format", "privacy-inventory-html"),
    )
    # health data into a log is high: the ci profile fails on it
    assert ran.code == 1, ran.out + ran.err
    assert "severity:privacy" in ran.out

    data = json.loads((out / "secscan-privacy-inventory.json").read_text(encoding="utf-8"))
    cats = {c["category"]: c for c in data["categories"]}
    email = cats["user.contact.email"]
    assert {p["what"] for p in email["stored"]} == {
        "Customer.email",
        "newsletter_subscribers.email",
    }
    assert {p["what"] for p in email["declared"]} >= {"SignupRequest.contact"}
    assert set(email["flows"]) == {"log", "third-party", "http", "file"}
    assert email["flows"]["log"][0]["path"] == "services/signup.py"
    assert email["recipients"] == ["Sentry"]
    assert cats["user.unique_id"]["recipients"] == ["Mixpanel", "Segment", "Sentry"]
    health = cats["user.health_and_medical"]
    assert health["special_or_sensitive"] and health["flows"]["log"][0]["severity"] == "high"
    assert health["Legal basis (Art. 6, Art. 9(2))"] == "to be completed by the controller"
    # sensitive categories first
    flags = [c["special_or_sensitive"] for c in data["categories"]]
    assert flags == sorted(flags, reverse=True)

    md = (out / "secscan-privacy-inventory.md").read_text(encoding="utf-8")
    row = (
        r"| **Health and Medical Data** (<code>user.health\_and\_medical</code>)"
        " | 1 | 1 | logs (1) |"
    )
    assert row in md
    assert md.count("*to be completed by the controller*") >= 6 * len(cats)

    page = (out / "secscan-privacy-inventory.html").read_text(encoding="utf-8")
    HTMLParser().feed(page)  # parses
    assert "<strong>Health and Medical Data</strong>" in page
    assert "default-src 'none'" in page
