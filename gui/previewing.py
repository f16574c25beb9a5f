"""Showing the result: the frame (or photo) on show, rendered by the engine function the export renders
every frame with (``blurkit.render_frame``), with the regions the export will obscure there and the
file's obscuring state, so the preview is the saved file's picture."""

from __future__ import annotations

import copy

import numpy as np

import blurkit
from gui.background import VIEW, Task
from gui.loading import to_qimage


class Previewing:
    """The main window's result view (a mixin: it works on the window's widgets and state)."""

    def _refresh_preview(self) -> None:
        """Show the obscured result (computed by the engine, as it will be saved) or the original."""
        self._view_token += 1
        doc = self.current
        showing = self.preview_action.isChecked() and self._shown is not None
        self.canvas.set_editable(not showing)
        self.hint.setText(self._hint())
        if not showing:
            if self._shown is not None:
                if self._result_shown:
                    self.canvas.set_image(to_qimage(self._shown), fit=False)
                    self._result_shown = False
                self.stack.setCurrentWidget(self.canvas)
            return
        # Never let the original pass for the result: show a note until the engine's result is in.
        self.stack.setCurrentIndex(0)
        self.open_buttons.hide()
        if not doc.found:
            why = doc.problem or "faces are still being found"
            self.placeholder.setText(f"{doc.name}\n\nNo result to show: {why}.")
            return
        self.placeholder.setText(f"{doc.name}\n\nPreparing the result…")
        token, pixels, settings, memory = self._view_token, self._shown, self.settings(), doc.memory
        if doc.kind == "photo":
            regions = doc.reviewed_regions()

            def work(task: Task) -> np.ndarray:
                return blurkit.render_frame(pixels, regions, settings, memory=memory)

        else:
            frame, regions_at = self.shown_frame, copy.copy(doc).regions_at  # the review as it is now

            def work(task: Task) -> np.ndarray:
                return blurkit.render_frame(
                    pixels, regions_at(frame), settings, frame, memory,
                    regions_at=regions_at, pixels_at=lambda i: blurkit.read_video_frame(doc.path, i),
                )  # fmt: skip

        def done(result: np.ndarray) -> None:
            if token == self._view_token:
                self.canvas.set_image(to_qimage(result), fit=False)
                self._result_shown = True
                self.stack.setCurrentWidget(self.canvas)

        self.engine.submit(work, done, lambda exc: self._error_dialog("Cannot show the result", exc), VIEW)
