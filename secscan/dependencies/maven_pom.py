"""pom.xml: the dependencies a Maven project declares with a version (its own `<properties>`
resolved); a version the file does not state (a parent's, a BOM's) is named, not guessed.

Read with expat directly (for each element's line); a document type declaration is refused,
so no entity in an untrusted pom can expand or reach outside the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import TextSource
from secscan.dependencies.interface import Declared, Manifests, Problem
from secscan.model.findings import NotAnalyzed

_PROPERTY = re.compile(r"\$\{([^}]+)\}")


class _Refused(Exception):
    pass


@dataclass
class _Node:
    tag: str
    line: int
    text: str = ""
    children: list[_Node] = field(default_factory=list)

    def child(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def value(self, tag: str) -> str:
        found = self.child(tag)
        return found.text.strip() if found is not None else ""


class MavenPomSource(TextSource):
    """pom.xml: `<dependencies>` and `<dependencyManagement>` entries with a version."""

    name = "pom.xml"
    ecosystem = ecosystems.MAVEN
    package_manager = "maven"
    priority = 1
    pattern = r"(^|/)pom\.xml$"

    def walk_text(self, rel: str, text: str, out: Manifests) -> None:
        """Each dependency whose version the file states, at its `<dependency>` line."""
        try:
            root = _tree(text)
        except (expat.ExpatError, _Refused) as e:
            line = getattr(e, "lineno", None)
            out.problems.append(Problem(rel, line, f"not a readable pom.xml: {e}"))
            return
        props = _properties(root)
        for dep in _dependencies(root):
            _entry(rel, dep, props, out)


def _tree(text: str) -> _Node:
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[_Node] = [_Node("", 0)]

    def refuse(*_: object) -> None:
        raise _Refused("a document type declaration is not allowed in a pom")

    def start(tag: str, _attrs: dict[str, str]) -> None:
        node = _Node(tag.rsplit("}", 1)[-1], parser.CurrentLineNumber)
        stack[-1].children.append(node)
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        stack[-1].text += data

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.Parse(text, True)
    return stack[0].children[0] if stack[0].children else _Node("", 0)


def _properties(root: _Node) -> dict[str, str]:
    props = {f"project.{k}": root.value(k) for k in ("version", "groupId") if root.value(k)}
    parent = root.child("parent")
    if parent is not None and parent.value("version"):
        props["project.parent.version"] = parent.value("version")
        props.setdefault("project.version", parent.value("version"))
    node = root.child("properties")
    for prop in node.children if node is not None else []:
        props[prop.tag] = prop.text.strip()
    return props


def _dependencies(root: _Node) -> list[_Node]:
    holders = [root, *(c for c in root.children if c.tag == "dependencyManagement")]
    profiles = root.child("profiles")
    for profile in profiles.children if profiles is not None else []:
        holders += [profile, *(c for c in profile.children if c.tag == "dependencyManagement")]
    return [
        dep
        for holder in holders
        for deps in holder.children
        if deps.tag == "dependencies"
        for dep in deps.children
        if dep.tag == "dependency"
    ]


def _resolve(text: str, props: dict[str, str]) -> str | None:
    for _ in range(10):  # properties may name properties; a cycle stops here
        if "${" not in text:
            return text
        missing = [p for p in _PROPERTY.findall(text) if p not in props]
        if missing:
            return None
        text = _PROPERTY.sub(lambda m: props[m[1]], text)
    return None


def _entry(rel: str, dep: _Node, props: dict[str, str], out: Manifests) -> None:
    group, artifact = dep.value("groupId"), dep.value("artifactId")
    raw = dep.value("version")
    name = f"{_resolve(group, props) or group}:{artifact}"
    if not raw:
        out.not_audited.append(
            NotAnalyzed(rel, f"line {dep.line}: {name} has no version here (set by a parent "
                        "or an imported BOM): not assessed; audit the resolved tree instead")
        )  # fmt: skip
        return
    version = _resolve(raw, props)
    if version is None or version.startswith(("[", "(")):
        out.not_audited.append(
            NotAnalyzed(rel, f"line {dep.line}: {name} version {raw!r} is not stated in this "
                        "file (an unresolved property or a range): not assessed")
        )  # fmt: skip
        return
    out.declared.append(
        Declared(name, version, rel, dep.line, "pom.xml", f"{name}:{version}", version=version,
                 ecosystem=ecosystems.MAVEN, direct=True)
    )  # fmt: skip
