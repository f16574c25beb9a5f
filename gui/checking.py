"""After saving: the check of every saved copy, and the editor's report of the session's saves.

The check is ``blurkit.check_outputs``, the one the CLI runs for ``--report FILE.html`` (each file with its
own settings); what it still finds flags the file. **Save report…** writes the CLI's report through
``blurkit.write_report`` (HTML, or JSON when the name says so), atomically, never over a file unless the user
said to replace it. Both run on the SAVE lane, after the save that made the files, with the status bar's
progress (frame by frame). A saved copy can be marked **Reviewed** (remembered by its content, so the mark
survives a restart and goes with no other copy); the report's sign-off box is ticked for it.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

import blurkit
from gui import texts
from gui.background import SAVE, Task
from gui.documents import MediaFile
from gui.flags import check_summary, notes

REPORT_NAME = "blurkit-report.html"
# Progress steps per file checked.
STEPS = 1000
REPORT_FILTER = "Report for an editor (*.html);;Report for scripts (*.json)"


class Checking:
    """The main window's checks of saved copies and its report (a mixin: it works on the window's state)."""

    @property
    def checking(self) -> bool:
        return self._checking is not None

    def _check_saved(self, pairs: list[tuple[MediaFile, blurkit.FileResult]]) -> Task | None:
        """Record the save's results for the report and check every copy written, one file at a time."""
        for doc, r in pairs:
            if texts.was_cancelled(r):
                continue
            self.session.pop(r.dst, None)
            self.session[r.dst] = (doc, r)
            doc.saved, doc.check, doc.check_note = r, None, None
        written = [(doc, r, doc.settings_or(self.defaults)) for doc, r in pairs if r.status == "written"]
        if not written:
            return None
        for doc, _, _ in written:
            doc.check_note = texts.CHECKING

        def work(task: Task) -> None:
            for n, (doc, r, settings) in enumerate(written):

                def frames(_: blurkit.FileResult, done: int, total: int, n: int = n) -> None:
                    task.progressed.emit(n * STEPS + STEPS * done // max(total, 1), len(written) * STEPS)

                checks = blurkit.check_outputs([r], settings, cancel=task.cancel, progress=frames)
                task.partial.emit((doc, r, checks[r.dst]))

        def step(done: tuple[MediaFile, blurkit.FileResult, blurkit.CheckResult]) -> None:
            doc, r, check = done
            if doc.saved is r:  # (not saved again meanwhile)
                doc.check = check
                doc.check_note = check_summary(doc)
            self._refresh_flags()

        def finished(exc: BaseException | None = None) -> None:
            self._checking = None
            self.progress.hide()
            for doc, r, _ in written:
                if doc.saved is r and doc.check is None:
                    doc.check_note = "not checked"
            flagged = [doc.name for doc, r, _ in written if doc.check is not None and doc.check.status != "clean"]
            if flagged:
                self.status_text.setText(
                    f"The check of the saved copies still finds faces (or could not run) in {', '.join(flagged)}: "
                    "press N to go there."
                )
            elif exc is None:
                self.status_text.setText(f"Checked {texts.plural(len(written), 'saved file')}: no face found.")
            self._refresh_flags()
            if exc is not None and not isinstance(exc, blurkit.Cancelled):
                self._error_dialog("The check of the saved files stopped", exc)

        self.status_text.setText(f"Checking {texts.plural(len(written), 'saved file')} for faces…")
        self._checking = self.engine.submit(
            work, lambda _: finished(), finished, SAVE, on_partial=step, on_progress=self._save_progress
        )
        self.progress.setRange(0, len(written) * STEPS)
        self.progress.setValue(0)
        self.progress.show()
        return self._checking

    def _refresh_flags(self) -> None:
        doc = self.current
        if doc is not None and self._shown is not None:
            self._refresh_regions()  # the check's boxes on the picture
        self._refresh()

    # the reviewed mark

    def reviewed(self, r: blurkit.FileResult) -> bool:
        """Whether the user marked this saved copy reviewed (remembered by its sha256)."""
        return bool(r.sha256) and self.store.value(f"reviewed/{r.sha256}", False, type=bool)

    def set_reviewed(self, on: bool) -> None:
        """Mark (or unmark) the current file's saved copy as reviewed."""
        doc = self.current
        if doc is None or doc.saved is None or not doc.saved.sha256:
            return
        self.store.setValue(f"reviewed/{doc.saved.sha256}", bool(on))
        self._update_actions()

    # the report

    def save_report(self) -> None:
        folder = Path(self._folder("output_folder")) if self.store.contains("output_folder") else Path.home()
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the report of the files saved", str(folder / REPORT_NAME), REPORT_FILTER
        )
        if not path:
            return
        path = Path(path)
        named = path.suffix.lower() in (".html", ".htm", ".json")
        # The dialog has asked before replacing the file it named; a name it did not see is never replaced.
        self.save_report_to(path if named else path.with_name(path.name + ".html"), overwrite=named and path.exists())

    def save_report_to(self, path: Path, overwrite: bool = False) -> Task | None:
        """The CLI's ``--report`` for the files saved in this session, with the checks of their copies."""
        if self._report is not None or not self.session:
            return None
        if blurkit.media_kind(path):
            self._dialog(
                "The report was not saved",
                f"<p>{path.name} is the name of a photo or video. Name the report .html (or .json).</p>",
                QMessageBox.Icon.Warning,
            )
            return None
        saved = list(self.session.values())
        results = [r for _, r in saved]
        checks = {r.dst: doc.check for doc, r in saved if doc.saved is r and doc.check is not None}
        reviewed = {r.dst: self.reviewed(r) for _, r in saved if r.dst is not None}
        kept = {doc.settings_or(self.defaults) for doc, _ in saved}
        # The report names one set of settings: the files', when they share them, else the batch's.
        settings = kept.pop() if len(kept) == 1 else self.defaults
        naming = self.settings_panel.naming()

        def work(task: Task) -> Path:
            def step(done: int, total: int, _: str) -> None:
                task.progressed.emit(done, total)

            blurkit.write_report(
                path, results, settings, naming=naming, overwrite=overwrite, checks=checks, reviewed=reviewed,
                progress=step,
            )  # fmt: skip
            return path

        def done(written: Path) -> None:
            self._report = None
            self.progress.hide()
            flagged = sum(1 for doc, r in saved if doc.saved is r and notes(doc))
            self.status_text.setText(f"Report saved: {written}")
            self._dialog(
                "Report saved",
                f"<p>The report of {texts.plural(len(results), 'file')} is in {escape(str(written))}"
                + (f"; {texts.plural(flagged, 'file')} in it flagged" if flagged else "")
                + ".</p><p>It names the original files: keep it apart from what you publish.</p>",
                QMessageBox.Icon.Information,
            )
            self._update_actions()

        def failed(exc: BaseException) -> None:
            self._report = None
            self.progress.hide()
            self._update_actions()
            self._error_dialog("The report was not saved", exc)

        self._report = self.engine.submit(work, done, failed, SAVE, on_progress=self._save_progress)
        self.progress.setRange(0, len(results))
        self.progress.setValue(0)
        self.progress.show()
        self._update_actions()
        return self._report
