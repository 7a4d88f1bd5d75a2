"""`python -m secscan`."""

from secscan.cli import main

main()
