"""Which names the hotfolder watcher leaves alone."""

from __future__ import annotations

import pytest

from watcher import is_ignored


@pytest.mark.parametrize(
    "name",
    [
        ".hidden.pdf",
        ".DS_Store",
        ".ds_store",
        "._Job 12.pdf",  # macOS resource fork on SMB shares
        "~$Order.docx",
        "Job 12.pdf.tmp",
        "Job 12.pdf.TMP",
        "Job 12.pdf.part",
        "Job 12.PDF.Part",
        "Thumbs.db",
        "THUMBS.DB",
        "desktop.ini",
        "~lock.Order 12.odt#",  # LibreOffice lock files, plain and hidden
        ".~lock.Order 12.pdf#",
        "Order 12.pdf.crdownload",  # a browser download in progress
        "Order 12.PDF.CRDOWNLOAD",
        "",
    ],
)
def test_hidden_temporary_and_os_litter_are_ignored(name: str) -> None:
    # Given a name an operating system or a copy in progress leaves behind
    # When the watcher judges it
    # Then it is ignored
    assert is_ignored(name)


@pytest.mark.parametrize(
    "name",
    [
        "Job 12.pdf",
        "JOB.PDF",
        "Заказ №5 (копия).pdf",
        "a$(touch x);b&'c`d`.pdf",
        "line\nbreak.pdf",
        "~Order.pdf",  # a tilde alone is an ordinary name
        "Order$.pdf",
        "tmp.pdf",
        "part 2.pdf",
        "Thumbs.db.pdf",
        "report.tmp.pdf",
        "no extension",
    ],
)
def test_ordinary_names_are_not_ignored(name: str) -> None:
    # Given a name a customer may give a job, however odd
    # When the watcher judges it
    # Then it is not ignored
    assert not is_ignored(name)
