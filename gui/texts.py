"""Words the app shows: what it removes and what it does not, hints and export summaries."""

from __future__ import annotations

from html import escape

import blurkit

METADATA_REMOVED = (
    "GPS location, date and time, camera and phone details, embedded thumbnails, XMP/IPTC and colour profiles; "
    "in videos also container tags, chapters, subtitles and any other extra streams"
)

FIRST_RUN = f"""<h3>Before you start</h3>
<p>blurkit finds faces in photos and videos and covers them so that face recognition cannot
identify the people in them. Everything runs on this computer: nothing is uploaded, and your
originals are never changed.</p>
<p><b>It removes</b> every face it finds and every region you draw, and all metadata of the
saved files ({METADATA_REMOVED}).</p>
<p><b>It does not remove</b> {escape(blurkit.NOT_REMOVED)}.</p>
<p>Check every file before you publish: zoom in on crowds, and draw over anything the detector
missed.</p>"""

HINT_EMPTY = "Open photos or videos to start: File ▸ Open (Ctrl+O), or drag them into this window."
HINT_PHOTO = (
    "Green outlines will be covered; click one to leave that face visible. "
    "Draw an ellipse (E) or rectangle (R) over any face, tattoo or sign the detector missed. "
    "Space shows the result."
)
HINT_NO_FACES = (
    "No faces found. Zoom in (mouse wheel) and check the whole photo; draw over any face the detector missed."
)
HINT_VIDEO = (
    "Drag the slider to check any frame. Every face the detector finds is covered in the saved video; "
    "draw regions for what it misses and choose the frames they cover."
)
HINT_LOADING = "Finding faces…"

LEGEND = [
    ("covered", "Detected face: will be covered. In photos, click to leave it visible."),
    ("visible", "Left visible (turned off). Click to cover it again."),
    ("drawn", "Drawn by you: covered exactly as drawn. Drag to move, drag a corner to resize, Del removes it."),
]


def advice(exc: BaseException) -> str:
    """What the user can do about an error, in a sentence (never a traceback)."""
    if isinstance(exc, blurkit.OutputExistsError):
        return "Choose another name or folder."
    if isinstance(exc, blurkit.MediaError):
        return "Check that the file opens in another app; if it is damaged, copy or export it again from the device."
    if isinstance(exc, blurkit.DetectionError):
        return "Nothing was written for it. Try again; if it keeps failing, reinstall blurkit."
    if isinstance(exc, blurkit.BlurkitError):
        return "Nothing was written for it."
    return "Nothing was written for it. This is a bug in blurkit; please report it with the message above."


def describe(exc: BaseException) -> str:
    if isinstance(exc, blurkit.BlurkitError):
        return str(exc)
    return f"unexpected error: {type(exc).__name__}: {exc}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def export_summary(
    saved: list[tuple[str, str]],
    failed: list[tuple[str, BaseException]],
    faces: int,
    tracks: int,
    drawn: int,
    left_visible: int,
    unreviewed: list[str],
    cancelled: list[str],
    notes: list[str],
) -> str:
    """The note shown after saving: what was done, what was not, and what is never removed."""
    parts = []
    if saved:
        where = "".join(f"<li>{escape(src)} → {escape(dst)}</li>" for src, dst in saved)
        parts.append(f"<p><b>Saved {plural(len(saved), 'file')}:</b></p><ul>{where}</ul>")
        covered = [f"{plural(faces, 'face')} obscured in photos"] if faces or not tracks else []
        if tracks:
            covered.append(f"{plural(tracks, 'face track')} obscured in videos")
        if drawn:
            covered.append(f"{plural(drawn, 'region')} you drew")
        parts.append(f"<p>{', '.join(covered).capitalize()}. Metadata removed: {METADATA_REMOVED}.</p>")
        parts += [f"<p>{escape(note)}</p>" for note in notes]
    if left_visible:
        parts.append(
            f"<p>{plural(left_visible, 'face')} you turned off {'was' if left_visible == 1 else 'were'} "
            "left visible.</p>"
        )
    if unreviewed:
        parts.append(
            f"<p>Saved without your review (the detector's findings were used as they are): "
            f"{escape(', '.join(unreviewed))}.</p>"
        )
    if failed:
        rows = "".join(
            f"<li>{escape(name)}: {escape(describe(exc))}. {escape(advice(exc))}</li>" for name, exc in failed
        )
        parts.append(f"<p><b>Not saved:</b></p><ul>{rows}</ul>")
    if cancelled:
        parts.append(f"<p>Cancelled, nothing written for: {escape(', '.join(cancelled))}.</p>")
    if saved:
        parts.append(
            f"<p><b>Not removed:</b> {escape(blurkit.NOT_REMOVED)}. Check the saved files before you publish.</p>"
        )
    return "".join(parts)
