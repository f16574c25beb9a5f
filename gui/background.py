"""Engine work off the GUI thread, so the window stays responsive.

One worker thread runs every task in turn: the detector networks are shared
per process and are not safe to run twice at once, and a 2-core laptop gains
nothing from more.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

import blurkit

# Queue priorities: what the user is looking at goes before what they asked to save.
URGENT, NORMAL = 10, 0


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
    """Runs ``fn(task)`` calls on the worker thread and tracks whether any are left."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._tasks: set[Task] = set()

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def submit(
        self,
        fn: Callable[[Task], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[BaseException], None],
        priority: int = NORMAL,
    ) -> Task:
        task = Task(self)
        task.done.connect(on_done)
        task.failed.connect(on_failed)
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

        self._pool.start(run, priority)
        return task

    def _forget(self, task: Task) -> None:
        self._tasks.discard(task)
        task.deleteLater()
        if not self._tasks:
            self.busy_changed.emit(False)

    def shutdown(self) -> None:
        """Cancel everything and wait for the running task to stop (it leaves no partial file)."""
        for task in self._tasks:
            task.cancel.set()
        self._pool.clear()
        self._pool.waitForDone()
