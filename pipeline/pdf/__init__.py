"""Reading an imposed PDF the way the shop needs it.

``read`` opens a file lazily and reads page dicts and Signa's ``pssMO*`` mark forms (never page
content); ``analysis`` turns those into facts: validity, press, plates, outputter, paper, and
the rejection codes; ``facts`` holds them as plain dataclasses (stored on the job).

May import pipeline.config, pipeline.errors and pipeline.json_values.
"""
