"""What the user asked for: the config file's schema and loader, and the comparison that says
which settings a change under review weakens.

Imports `model` and `util`.
"""
