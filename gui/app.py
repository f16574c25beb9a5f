"""Start the desktop app: ``blurkit-gui [FILE...]`` or ``python -m gui``."""

from __future__ import annotations

import sys
import traceback
from types import TracebackType

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from gui.main_window import MainWindow


def user_settings() -> QSettings:
    """The last folders and whether the first-run note was seen, in the user's config."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "blurkit", "blurkit-gui")


def _report_crash(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """A dialog instead of a silent traceback; the traceback still goes to stderr for a bug report."""
    traceback.print_exception(kind, exc, tb)
    QMessageBox.critical(
        None,
        "blurkit: unexpected error",
        f"{kind.__name__}: {exc}\n\nNothing was written for the file being worked on. "
        "Please report this as a bug in blurkit; the details are printed in the terminal.",
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("blurkit")
    app.setApplicationDisplayName("blurkit")
    app.setOrganizationName("blurkit")
    sys.excepthook = _report_crash
    window = MainWindow(user_settings())
    window.show()
    window.open_paths(argv[1:])
    window.show_first_run_note_once()
    return app.exec()
