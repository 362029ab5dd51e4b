"""The shop's dashboard: the job grid, job pages, problem jobs, plate reports, the mode switch.

A small Flask app rendered on the server (Jinja2 with autoescape), htmx for the parts that
update live, charts drawn as SVG on the server; nothing is fetched from the internet. It may
import models/ (the store and its queries), pipeline/ (accounting, the configuration) and
tasks/ (health, queueing a retry); it holds no domain rules of its own.
"""
