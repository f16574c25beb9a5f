"""Engine work off the GUI thread, so the window stays responsive.

Work runs in three lanes, each one thread doing one task at a time: ``VIEW`` (what the user is
looking at: photos, frames, previews), ``FIND`` (finding and tracking faces in a video, following a
region) and ``SAVE``. A video being saved or analysed never holds up a preview; the detector
serialises its own calls, so lanes can share it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

import blurkit

VIEW, FIND, SAVE = "view", "find", "save"


class Task(QObject):
    """One piece of engine work; its signals arrive on the GUI thread."""

    done = Signal(object)
    failed = Signal(object)  # the exception
    progressed = Signal(int, int)
    partial = Signal(object)  # a step of a longer task, e.g. one file of many
    finished = Signal()

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.cancel = threading.Event()

    def report(self, done: int, total: int) -> None:
        """The engine's ``progress`` callback; cancelling goes through ``self.cancel``."""
        self.progressed.emit(done, total)


class Engine(QObject):
    """Runs ``fn(task)`` calls in their lane and tracks whether any are left."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lanes = {lane: QThreadPool(self) for lane in (VIEW, FIND, SAVE)}
        for pool in self._lanes.values():
            pool.setMaxThreadCount(1)
        self._tasks: set[Task] = set()

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def submit(
        self,
        fn: Callable[[Task], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[BaseException], None],
        lane: str = VIEW,
        on_progress: Callable[[int, int], None] | None = None,
        on_partial: Callable[[Any], None] | None = None,
    ) -> Task:
        """Every handler is connected before ``fn`` starts, so none of its signals is missed."""
        task = Task(self)
        task.done.connect(on_done)
        task.failed.connect(on_failed)
        if on_progress is not None:
            task.progressed.connect(on_progress)
        if on_partial is not None:
            task.partial.connect(on_partial)
        task.finished.connect(lambda: self._forget(task))
        self._tasks.add(task)
        if len(self._tasks) == 1:
            self.busy_changed.emit(True)

        def run() -> None:
            try:
                if task.cancel.is_set():
                    raise blurkit.Cancelled("cancelled before it started")
                result = fn(task)
            except Exception as exc:
                task.failed.emit(exc)
            else:
                task.done.emit(result)
            finally:
                task.finished.emit()

        self._lanes[lane].start(run)
        return task

    def _forget(self, task: Task) -> None:
        self._tasks.discard(task)
        task.deleteLater()
        if not self._tasks:
            self.busy_changed.emit(False)

    def shutdown(self) -> None:
        """Cancel everything and wait for the running tasks to stop (they leave no partial file)."""
        for task in self._tasks:
            task.cancel.set()
        for pool in self._lanes.values():
            pool.clear()
            pool.waitForDone()
