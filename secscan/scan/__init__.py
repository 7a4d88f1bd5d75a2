"""Running the selected scanners over the workspace: the pipeline, the result cache, and the
merge of several tools' reports of one flaw into one finding.

Imports `scanners`, `advisories`, `dependencies`, `workspace`, `settings`, `model`, `util`;
never `policy` (its sibling) or anything above.
"""
