"""The controller's web pages: window terminal, console and phone page, and the open HTTP API.

Starlette + Jinja2, live updates by server-sent events (``live.LiveHub``), htmx and ECharts from the npm
registry (``scripts/bootstrap`` copies them into ``static/vendor``). One view module per page; each page's
data comes from the same function as its JSON twin; every permission question goes through
``hall_controller.permissions.allowed``.
"""
