"""What a front end asks for, in three small objects instead of a caravan of keyword arguments: a ``Job``
(one input, its output and how to do it), a ``Run`` (what may happen to outputs) and a ``Control`` (how
the caller follows and stops one file)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from threading import Event

from blurkit.obscure import TrackMemory
from blurkit.regions import Region
from blurkit.result import FileResult
from blurkit.settings import Settings

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Job:
    """One file to do. A front end that reviewed it says how: its own settings (else the batch's), and
    the regions the review settled on. The door (``blurkit.door.admit``) resolves the settings and the
    batch's drawn regions into it once, so everything after it reads ``settings`` as given."""

    src: Path
    dst: Path
    settings: Settings | None = None
    regions: tuple[Region, ...] | None = None  # photo: obscured instead of detecting
    frames: Sequence[Sequence[Region]] | None = field(default=None, compare=False)  # video: a reviewed dry run's
    extra_regions: tuple[Region, ...] = ()
    visible_tracks: frozenset[int] = frozenset()
    memory: TrackMemory | None = field(default=None, compare=False)  # the previews' obscuring state
    kept_visible: tuple[Region, ...] = ()  # photo: detected faces the review left visible (the report lists them)

    def resolved(self, settings: Settings, extra: Sequence[Region] = ()) -> Job:
        """This job with its own settings or ``settings``, and ``extra`` (the batch's drawn regions) added."""
        return replace(self, settings=self.settings or settings, extra_regions=(*self.extra_regions, *extra))

    @property
    def reviewed(self) -> bool:
        """Done as a front end showed it (given regions, a dry run's frames, the previews' noise): whole."""
        return self.regions is not None or self.frames is not None or self.memory is not None


@dataclass(frozen=True)
class Earlier:
    """What an earlier run wrote, read from its JSON report: by input (its resolved path) that run's result,
    with the output's sha256 and the input's (``details["input_sha256"]``). ``--skip-existing`` keeps such
    an output when both hashes still hold; a folder's walk leaves out files that are these outputs."""

    report: Path
    results: Mapping[str, FileResult] = field(default_factory=dict)  # by input
    written: Mapping[str, str] = field(default_factory=dict)  # output (resolved) -> its sha256


@dataclass(frozen=True)
class Run:
    """What a run may do to outputs: replace existing ones, write nothing at all, keep verified ones."""

    overwrite: bool = False
    dry_run: bool = False
    earlier: Earlier | None = None  # --skip-existing: the earlier run whose verified outputs are kept

    def for_tasks(self) -> Run:
        """What a worker needs (the earlier run's record stays with the door)."""
        return replace(self, earlier=None)


@dataclass(frozen=True)
class Control:
    """How the caller follows one file (``progress(done, total)``, video frames) and stops it."""

    progress: Progress | None = None
    cancel: Event | EventType | None = None
