"""Reports: one pure renderer module per format, and the format registry (`formats.py`).

Renderers take saved results and a clock and return text; only the CLI writes files. May
import history, scan, policy, scanners and everything below; never app/ or cli/.
"""
