"""What the CLI prints on a terminal: the live audit board, scan summaries, explain text."""
