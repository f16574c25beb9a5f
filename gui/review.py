"""The user's decisions about one file, as immutable values: every edit makes a new ``Review``, so undo
is putting the old one back, and the app's state can be tested without a widget."""

from __future__ import annotations

from dataclasses import dataclass, replace

from blurkit import Region

# Followed regions' track ids start here: far above any a dry run numbers its tracks with, and exact in the
# float32 the engine keeps per-frame regions in.
FOLLOW_IDS = 1 << 20


@dataclass(frozen=True)
class Follow:
    """A region followed through its shot: the keyframes the user placed, and the engine's region in each
    frame (``blurkit.follow_region``)."""

    track_id: int
    keyframes: tuple[tuple[int, Region], ...]
    regions: tuple[Region, ...]  # one per frame, contiguous, each with frames=(i, i)

    @property
    def first(self) -> int:
        return self.regions[0].frames[0]

    @property
    def last(self) -> int:
        return self.regions[-1].frames[0]

    def at(self, frame: int) -> Region | None:
        return self.regions[frame - self.first] if self.first <= frame <= self.last else None

    def keyed(self, frame: int, region: Region) -> dict[int, Region]:
        """The keyframes with ``region`` placed on ``frame`` (a correction): what to follow again."""
        return {**dict(self.keyframes), frame: region}


@dataclass(frozen=True)
class Review:
    """``off``: photo detections (by index) or video tracks (by id) left visible. ``drawn``: regions drawn by
    hand (in video with a frame range). ``followed``: video regions followed through a shot."""

    off: frozenset[int] = frozenset()
    drawn: tuple[Region, ...] = ()
    followed: tuple[Follow, ...] = ()

    def toggled(self, key: int) -> Review:
        return replace(self, off=self.off ^ {key})

    def with_drawn(self, region: Region) -> Review:
        return replace(self, drawn=(*self.drawn, region))

    def with_drawn_at(self, index: int, region: Region) -> Review:
        return replace(self, drawn=(*self.drawn[:index], region, *self.drawn[index + 1 :]))

    def without_drawn(self, index: int) -> Review:
        return replace(self, drawn=self.drawn[:index] + self.drawn[index + 1 :])

    def with_follow(self, follow: Follow) -> Review:
        """``follow`` added, or put in place of the follow with its track id (a correction)."""
        kept = tuple(f for f in self.followed if f.track_id != follow.track_id)
        return replace(self, followed=(*kept, follow))

    def without_follow(self, track_id: int) -> Review:
        return replace(self, followed=tuple(f for f in self.followed if f.track_id != track_id))

    def next_follow_id(self) -> int:
        return max((f.track_id + 1 for f in self.followed), default=FOLLOW_IDS)


@dataclass(frozen=True)
class Row:
    """One row of the video timeline: a face track, a followed region or a drawn one, over its frames."""

    key: tuple[str, int]  # ("track", id), ("followed", id) or ("drawn", index)
    first: int
    last: int
    off: bool = False
    marks: tuple[int, ...] = ()  # keyframes of a followed region
    second_look: bool = False  # a track the main pass missed, started by the second look

    @property
    def label(self) -> str:
        kind, number = self.key
        name = {"track": "Face", "followed": "Followed", "drawn": "Drawn"}[kind]
        shown = number - FOLLOW_IDS if kind == "followed" else number
        notes = [note for note, on in (("2nd look", self.second_look), ("visible", self.off)) if on]
        return f"{name} {shown + 1}" + (f" ({', '.join(notes)})" if notes else "")


def timeline_rows(tracks: list[Region], review: Review, frames: int) -> list[Row]:
    """Face tracks (a dry run's, each with its span) by first frame, then followed and drawn regions."""
    rows = [
        Row(("track", t.track_id), *t.frames, off=t.track_id in review.off, second_look=t.source == "second-look")
        for t in tracks
        if t.frames
    ]
    rows.sort(key=lambda r: (r.first, r.key))
    rows += [
        Row(("followed", f.track_id), f.first, f.last, marks=tuple(k for k, _ in f.keyframes)) for f in review.followed
    ]
    rows += [Row(("drawn", i), *(r.frames or (0, frames - 1))) for i, r in enumerate(review.drawn)]
    return rows


def step_row(rows: list[Row], selected: tuple[str, int] | None, frame: int, step: int) -> Row | None:
    """The next (``step`` 1) or previous (-1) row after the selected one; with none selected, the first
    row starting after ``frame`` (or the last starting before it)."""
    keys = [r.key for r in rows]
    if selected in keys:
        at = keys.index(selected) + step
        return rows[at] if 0 <= at < len(rows) else None
    ahead = [r for r in rows if (r.first > frame if step > 0 else r.first < frame)]
    if not ahead:
        return None
    return min(ahead, key=lambda r: r.first) if step > 0 else max(ahead, key=lambda r: r.first)


def step_cut(cuts: list[int], frame: int, step: int) -> int | None:
    """The first frame of the next (or previous) shot from ``frame``."""
    found = [c for c in cuts if (c > frame if step > 0 else c < frame)]
    if not found:
        return None
    return min(found) if step > 0 else max(found)
