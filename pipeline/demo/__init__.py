"""The demo kit: a local shop's configuration, local FTP and SMS servers, sample Signa PDFs.

``shop`` writes the prepress.toml of a shop whose targets are all local; ``sinks`` are the
FTP servers and the smsc look-alike those targets point at; ``samples`` writes Signa-like
PDFs. The demo (``prepress demo``, in commands/demo.py), the tests and the benchmarks use
them. May import the rest of pipeline/; imports neither celery nor tasks/.
"""
