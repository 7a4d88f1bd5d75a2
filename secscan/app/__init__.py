"""The use cases: scan → judge → save → record → render, once, for every command.

The CLI calls these and nothing below them. Imports every stage below.
"""
