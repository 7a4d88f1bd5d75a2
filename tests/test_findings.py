from secscan.model.findings import Confidence, Severity


def test_severity_orders_by_rank_not_alphabet() -> None:
    ordered = sorted(
        [Severity.LOW, Severity.CRITICAL, Severity.INFO, Severity.HIGH, Severity.MEDIUM]
    )
    assert ordered == [
        Severity.INFO,
        Severity.LOW,
        Severity.MEDIUM,
        Severity.HIGH,
        Severity.CRITICAL,
    ]
    assert Severity.HIGH > Severity.MEDIUM
    assert Severity.CRITICAL >= Severity.HIGH
    assert not Severity.LOW >= Severity.MEDIUM
    assert max([Severity.MEDIUM, Severity.CRITICAL, Severity.LOW]) is Severity.CRITICAL


def test_severity_parses_tool_words() -> None:
    assert Severity.parse("ERROR") is Severity.HIGH
    assert Severity.parse("WARNING") is Severity.MEDIUM
    assert Severity.parse("High") is Severity.HIGH
    assert Severity.parse("UNDEFINED") is Severity.INFO
    assert Severity.parse("garbage") is Severity.INFO


def test_confidence_unknown_for_missing() -> None:
    assert Confidence.parse(None) is Confidence.UNKNOWN
    assert Confidence.parse("HIGH") is Confidence.HIGH
