"""The shop's dashboard: the job grid, job pages, problem jobs, plate reports, the mode switch.

A small Flask app rendered on the server (Jinja2 with autoescape), htmx for the parts that
update live, charts drawn as SVG on the server; nothing is fetched from the internet. It holds
no domain rules of its own: operator actions go through tasks/actions.py, as the CLI's do.

The rules tests/unit/test_layers.py reads from this text and checks:
May import: pipeline/, models/, tasks/ (health, operator actions).
Never imports: celery, kombu, click, commands/, watcher/.
"""
