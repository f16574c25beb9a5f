"""Saving: the open files become ``blurkit.Job``s carrying each file's settings and review, and the
engine's batch (``blurkit.run_batch``) writes them on the SAVE lane, with progress and Cancel, while
previews go on in theirs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

import blurkit
from gui import texts
from gui.background import SAVE, Task
from gui.documents import MediaFile, free_output_path
from gui.loading import file_filter

# Progress steps per file in the status bar (a video reports its frames within its share).
SCALE = 1000


class Saving:
    """The main window's saving (a mixin: it works on the window's widgets and state)."""

    def save_current(self) -> None:
        doc = self.current
        if doc is None:
            return
        folder = Path(self._folder("output_folder")) if self.store.contains("output_folder") else doc.path.parent
        path, _ = QFileDialog.getSaveFileName(
            self, f"Save an anonymized copy of {doc.name}", str(folder / self._output_name(doc, 0, 1)), file_filter()
        )
        if path:
            # The dialog has already asked before replacing an existing file.
            self.save([(doc, Path(path))], overwrite=Path(path).exists())

    def save_all(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Save anonymized copies of every file into", self._folder("output_folder")
        )
        if folder:
            self.save_all_to(Path(folder))

    def save_all_to(self, folder: Path) -> Task | None:
        """Save every open file into ``folder``, named as chosen, never replacing a file."""
        taken: set[Path] = set()
        pairs = []
        for i, doc in enumerate(self.files):
            dst = free_output_path(folder, self._output_name(doc, i, len(self.files)), taken)
            taken.add(dst)
            pairs.append((doc, dst))
        return self.save(pairs, overwrite=False)

    def _output_name(self, doc: MediaFile, index: int, total: int) -> str:
        """NAME-anonymized.EXT, or the engine's random or numbered name (``blurkit.NAMINGS``)."""
        naming = self.settings_panel.naming()
        if naming == "keep":
            return doc.default_output_name()
        return blurkit.new_name(doc.path.suffix, naming, index, total)

    def save(self, pairs: list[tuple[MediaFile, Path]], overwrite: bool) -> Task | None:
        """Write the files through the engine's batch; it writes atomically and goes on past failures."""
        if self._export is not None or not pairs:
            return None
        docs = {dst: doc for doc, dst in pairs}
        jobs = [doc.job(dst, self.defaults) for doc, dst in pairs]
        for doc, _ in pairs:
            doc.busy = "Waiting to save…"
        order = {job.dst: i for i, job in enumerate(jobs)}

        def work(task: Task) -> list[blurkit.FileResult]:
            def progress_of(job: blurkit.Job) -> Callable[[int, int], None]:
                task.partial.emit((docs[job.dst], "Saving…"))
                start, total_steps = order[job.dst] * SCALE, SCALE * len(jobs)
                return lambda done, total: task.progressed.emit(start + SCALE * done // max(total, 1), total_steps)

            def result(r: blurkit.FileResult) -> None:
                task.partial.emit((docs[r.dst], r))
                task.progressed.emit((order[r.dst] + 1) * SCALE, len(jobs) * SCALE)

            # through the engine's one door: an output that would replace an input is refused there
            return blurkit.run_batch(
                jobs, self.defaults, request=blurkit.Run(overwrite=overwrite), on_result=result,
                on_progress=progress_of, cancel=task.cancel,
            )  # fmt: skip

        self._export = self.engine.submit(
            work, lambda results: self._saved(docs, results), lambda exc: self._save_crashed(docs, exc), SAVE,
            on_progress=self._save_progress, on_partial=self._save_step,
        )  # fmt: skip
        self.progress.setRange(0, len(jobs) * SCALE)
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self.cancel_button.show()
        self.status_text.setText(f"Saving {texts.plural(len(jobs), 'file')}…")
        self.store.setValue("output_folder", str(pairs[0][1].parent))
        self._refresh()
        return self._export

    @property
    def saving(self) -> bool:
        return self._export is not None

    def cancel_export(self) -> None:
        if self._export is not None:
            self._export.cancel.set()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText("Cancelling…")

    def _save_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _save_step(self, step: tuple[MediaFile, object]) -> None:
        doc, outcome = step
        doc.busy = outcome if isinstance(outcome, str) else None
        if isinstance(outcome, blurkit.FileResult):
            doc.outcome = texts.outcome(outcome)
        self._refresh()

    def _export_finished(self) -> None:
        self._export = None
        self.progress.hide()
        self.cancel_button.hide()
        self.status_text.clear()
        self._update_actions()

    def _saved(self, docs: dict[Path, MediaFile], results: list[blurkit.FileResult]) -> None:
        self._export_finished()
        pairs = [(docs[r.dst], r) for r in results]
        saved = [(doc, r) for doc, r in pairs if r.status == "written"]
        cancelled = [doc.name for doc, r in pairs if texts.was_cancelled(r)]
        failed = [(doc.name, r) for doc, r in pairs if r.status == "failed" and not texts.was_cancelled(r)]
        notes = [f"{doc.name}: {r.details['note']}." for doc, r in saved if r.details.get("note")]
        revealing = [blurkit.shown_name(r.dst.name) for _, r in saved if blurkit.revealing_name(Path(r.dst.name))]
        if revealing:
            notes.append(
                f"{revealing[0]}{' and others' if len(revealing) > 1 else ''}: names like a camera's or a date "
                "tell when and with what a picture was taken. Choose Random or Numbered names to leave them out."
            )
        notes += [
            f"{doc.name}: the sound was kept; voices and speech are not changed."
            for doc, r in saved
            if r.kind == "video" and r.details.get("audio") == "kept"
        ]
        if saved:
            notes.append(texts.CHECK_NEXT)
        summary = texts.export_summary(
            saved=[(doc.name, blurkit.shown_name(r.dst)) for doc, r in saved],
            failed=failed,
            faces=sum(r.faces for _, r in saved if r.kind == "photo"),
            tracks=sum(r.faces for _, r in saved if r.kind == "video"),
            drawn=sum(len(doc.review.drawn) + len(doc.review.followed) for doc, _ in saved),
            left_visible=sum(len(doc.review.off) for doc, r in saved if r.kind == "photo" and doc.detected),
            tracks_visible=sum(len(r.details.get("visible_tracks", ())) for _, r in saved),
            unreviewed=[doc.name for doc, _ in saved if not doc.viewed],
            cancelled=cancelled,
            notes=notes,
        )
        if failed:
            title, icon = "Some files were not saved", QMessageBox.Icon.Warning
        elif cancelled and not saved:
            title, icon = "Cancelled: nothing was saved", QMessageBox.Icon.Information
        else:
            title, icon = ("Cancelled" if cancelled else "Saved"), QMessageBox.Icon.Information
        self.status_text.setText(title)
        self._dialog(title, summary, icon)
        self._check_saved(pairs)  # the check the CLI's report runs, on every copy written

    def _save_crashed(self, docs: dict[Path, MediaFile], exc: BaseException) -> None:
        """The batch did not run to its end: cancelled before it started, or a bug."""
        self._export_finished()
        waiting = [doc for doc in docs.values() if doc.busy in ("Waiting to save…", "Saving…")]
        for doc in waiting:
            doc.busy = None
            if isinstance(exc, blurkit.Cancelled):
                doc.outcome = "Cancelled, nothing saved"
        self._refresh()
        if isinstance(exc, blurkit.Cancelled):
            summary = texts.export_summary([], [], 0, 0, 0, 0, 0, [], [doc.name for doc in waiting], [])
            self.status_text.setText("Cancelled: nothing was saved")
            self._dialog("Cancelled: nothing was saved", summary, QMessageBox.Icon.Information)
        else:
            self._error_dialog("Saving stopped", exc)
