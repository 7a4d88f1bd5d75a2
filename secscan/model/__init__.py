"""The values that flow through every stage: findings, their fingerprints, each file's fate,
the kinds of analyzed targets, the decision, the saved-results codec, and the redactor every
value passes through on its way out.

Imports `secscan.errors` and `secscan.util` only.
"""
