"""`secscan serve`: the organisation's dashboard over a history database, read-only.

A delivery layer like the command line: web.py routes requests to history.fleetview's
aggregate queries and renders them with the report's Jinja2 environment (autoescape on) and
stylesheet; access.py decides who may bind where and checks the token. No page loads
anything from anywhere: the CSP allows only the page's own inline stylesheet and forms that
submit to the dashboard itself; there is no JavaScript.
"""
