"""SARIF objects are written from sarif-om's definitions without instantiating them.

sarif-om stays the model of record: `sarif._obj(cls, **fields)` must give exactly the JSON
that building `cls(**fields)` and converting it would (the conversion sarif-om users write:
schema property names, sarif-om's field order, None and defaults left out but `level`), and
refuse what sarif-om refuses. Every object of a rendered log is then checked against the
sarif-om class it stands for.
"""

from __future__ import annotations

import json
from typing import Any

import attr
import pytest
import sarif_om as om
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportdata import NOW, evil_saved, rich_saved

from secscan.report import sarif

#: Every sarif-om class a log of secscan's is made of (and secscan's own Suppression).
CLASSES: tuple[type, ...] = (
    om.SarifLog,
    om.Run,
    om.Tool,
    om.ToolComponent,
    om.RunAutomationDetails,
    om.VersionControlDetails,
    om.Invocation,
    om.Notification,
    om.ReportingDescriptorReference,
    om.ReportingDescriptor,
    om.MultiformatMessageString,
    om.ReportingConfiguration,
    om.Result,
    om.Message,
    om.Location,
    om.PhysicalLocation,
    om.ArtifactLocation,
    om.Region,
    om.ArtifactContent,
    sarif.Suppression,
)


def reference_json(obj: Any) -> Any:
    """An attrs object of sarif-om as SARIF JSON: what secscan wrote before `_obj`."""
    if attr.has(type(obj)):
        out: dict[str, Any] = {}
        for field in attr.fields(type(obj)):
            value = getattr(obj, field.name)
            if value is None:
                continue
            default = field.default
            if isinstance(default, attr.Factory):  # type: ignore[arg-type]
                default = default.factory()
            if field.name != "level" and default is not None and value == default:
                continue
            out[field.metadata["schema_property_name"]] = reference_json(value)
        return out
    if isinstance(obj, dict):
        return {str(k): reference_json(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list | tuple):
        return [reference_json(v) for v in obj]
    return obj


def _default(field: Any) -> Any:
    d = field.default
    return d.factory() if isinstance(d, attr.Factory) else d  # type: ignore[arg-type]


@st.composite
def sarif_objects(draw: st.DrawFn) -> tuple[type, dict[str, Any]]:
    """A class and field values: required ones set, the others absent, None, at their
    default or set, passed in any order."""
    cls = draw(st.sampled_from(CLASSES))
    values: dict[str, Any] = {}
    for field in attr.fields(cls):
        required = field.default is attr.NOTHING
        choice = draw(
            st.sampled_from(["set"] if required else ["absent", "none", "default", "set"])
        )
        if choice == "none":
            values[field.name] = None
        elif choice == "default":
            values[field.name] = _default(field)
        elif choice == "set":
            values[field.name] = draw(
                st.one_of(st.text(max_size=5), st.integers(-2, 3), st.just(["x", {"k": "v"}]))
            )
    names = draw(st.permutations(list(values)))
    return cls, {name: values[name] for name in names}


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(sarif_objects())
def test_obj_is_the_json_of_the_sarif_om_object(case: tuple[type, dict[str, Any]]) -> None:
    cls, values = case
    # Nested values reach _obj as JSON already; plain ones are the same either way.
    assert sarif._obj(cls, **values) == reference_json(cls(**values))
    assert list(sarif._obj(cls, **values)) == list(reference_json(cls(**values)))


def test_obj_refuses_what_sarif_om_refuses() -> None:
    with pytest.raises(TypeError, match="no field colour"):
        sarif._obj(om.Message, text="x", colour="red")
    with pytest.raises(TypeError, match="requires message"):
        sarif._obj(om.Result, rule_id="B101")
    with pytest.raises(TypeError, match="requires message"):
        sarif._obj(om.Result, rule_id="B101", message=None)
    with pytest.raises(TypeError):
        om.Result(rule_id="B101")  # type: ignore[call-arg]


def test_level_is_written_at_its_default_and_other_defaults_are_not() -> None:
    got = sarif._obj(om.Result, message={"text": "m"}, level="warning", rule_index=-1, kind="fail")
    assert got == {"level": "warning", "message": {"text": "m"}}


#: Which sarif-om class each property of a secscan SARIF log holds (lists: each item).
NESTED: dict[tuple[type, str], type] = {
    (om.SarifLog, "runs"): om.Run,
    (om.Run, "tool"): om.Tool,
    (om.Tool, "driver"): om.ToolComponent,
    (om.ToolComponent, "rules"): om.ReportingDescriptor,
    (om.Run, "automationDetails"): om.RunAutomationDetails,
    (om.Run, "versionControlProvenance"): om.VersionControlDetails,
    (om.VersionControlDetails, "mappedTo"): om.ArtifactLocation,
    (om.Run, "invocations"): om.Invocation,
    (om.Invocation, "toolExecutionNotifications"): om.Notification,
    (om.Invocation, "toolConfigurationNotifications"): om.Notification,
    (om.Notification, "message"): om.Message,
    (om.Notification, "descriptor"): om.ReportingDescriptorReference,
    (om.Notification, "locations"): om.Location,
    (om.ReportingDescriptor, "shortDescription"): om.MultiformatMessageString,
    (om.ReportingDescriptor, "fullDescription"): om.MultiformatMessageString,
    (om.ReportingDescriptor, "help"): om.MultiformatMessageString,
    (om.ReportingDescriptor, "defaultConfiguration"): om.ReportingConfiguration,
    (om.Run, "results"): om.Result,
    (om.Result, "message"): om.Message,
    (om.Result, "locations"): om.Location,
    (om.Result, "suppressions"): sarif.Suppression,
    (om.Location, "physicalLocation"): om.PhysicalLocation,
    (om.PhysicalLocation, "artifactLocation"): om.ArtifactLocation,
    (om.PhysicalLocation, "region"): om.Region,
    (om.Region, "snippet"): om.ArtifactContent,
}
#: Free-form JSON under these properties (property bags and maps).
FREE = {"properties", "partialFingerprints", "originalUriBaseIds"}


def _check(data: dict[str, Any], cls: type, path: str) -> int:
    order = [f.metadata["schema_property_name"] for f in attr.fields(cls)]
    if cls is om.SarifLog:
        order = ["$schema", "version", *(k for k in order if k not in ("$schema", "version"))]
    unknown = [k for k in data if k not in order]
    assert not unknown, f"{path}: {cls.__name__} has no property {unknown}"
    assert list(data) == sorted(data, key=order.index), f"{path}: not in sarif-om's order"
    checked = 1
    for key, value in data.items():
        inner = NESTED.get((cls, key))
        if inner is None:
            assert key in FREE or not isinstance(value, dict | list) or key == "tags", (
                f"{path}.{key}: a nested object this test does not know"
            )
            continue
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            checked += _check(item, inner, f"{path}.{key}[{i}]")
    return checked


@pytest.mark.parametrize("saved", [rich_saved, evil_saved], ids=["rich", "evil"])
def test_every_object_of_a_log_is_a_sarif_om_object(saved: Any) -> None:
    data = json.loads(sarif.render(saved(), NOW))
    assert _check(data, om.SarifLog, "log") > 20
