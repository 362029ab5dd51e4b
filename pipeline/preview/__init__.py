"""Previews of a sheet: ``render`` crops to the paper and writes the proof and the thumbnail,
``presspdf`` the light preview PDF for the press, ``inkcov`` ink coverage by Ghostscript
(each ink's average and the total-ink profile preflight judges);
``geometry`` (the crop box, turned sheets) and ``raster`` (pages to pixels) serve them.

May import pipeline.config, pipeline.pdf, pipeline.errors, pipeline.text (program output as
data), pipeline.budget (rendering and ink coverage run in a child process held to a budget)
pipeline.inkmap (the ink amounts of a CMYK raster) and pipeline.children (Ghostscript dies
with the process that started it).
"""
