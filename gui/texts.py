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
identify the people in them. Everything runs on this computer: blurkit never connects to the
internet and nothing is uploaded. Your originals are never changed, so they still show every
face: keep them safe or delete them.</p>
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
    "The timeline shows every face track; click a face (or press V) to leave its whole track visible. "
    "Draw over what the detector missed and press F to follow it through the shot. Space shows the result."
)
HINT_LOADING = "Finding faces…"
HINT_TRACKING = "Finding and tracking faces in every frame…"

LEGEND = [
    ("covered", "Detected face: will be covered. Click to leave it (in video: its whole track) visible."),
    ("second-look", "Found only by the second look (the main pass missed it): will be covered. Check it."),
    ("visible", "Left visible (turned off). Click to cover it again."),
    (
        "drawn",
        "Drawn or followed by you: covered exactly as drawn. Drag to move, drag a corner to resize, Del removes it.",
    ),
    ("finding", "A face the check of the saved copy still finds there: cover it and save again."),
]
SECOND_LOOK_TIP = "Found only by the second look (a look at the obscured result): the main pass missed it."
FINDING_TIP = "The check of the saved copy still finds a face here: cover it (draw over it) and save again."
FLAG_JUMP = "Double-click the file or press N (Next flagged) to go there."
CHECKING = "checking the saved copy…"
CHECK_NEXT = (
    "Each saved copy is now checked for faces still in it, as blurkit check does; the file list flags any it "
    "finds. File ▸ Save report… writes the editor's report of what was saved."
)

BUG = "Nothing was written for it. This is a bug in blurkit; please report it with the message above."
# What the user can do about an error of each kind (``blurkit``'s errors, by name), in a sentence.
ADVICE = {
    "OutputExistsError": "Choose another name or folder.",
    "ReplacesInputError": "Choose another name or folder: an anonymized copy never replaces its original.",
    "MediaError": (
        "Check that the file opens in another app; if it is damaged, copy or export it again from the device."
    ),
    "DetectionError": "Nothing was written for it. Try again; if it keeps failing, reinstall blurkit.",
    "Cancelled": "Nothing was written for it.",
    "BlurkitError": "Nothing was written for it.",
}


def advice(kind: str) -> str:
    """Advice for an error named ``kind`` (an exception's class name; a failed result's ``error_type``)."""
    return ADVICE.get(kind, BUG)


def was_cancelled(result: blurkit.FileResult) -> bool:
    return result.status == "failed" and result.details.get("error_type") == "Cancelled"


def outcome(result: blurkit.FileResult) -> str:
    """How a save ended, for the file list."""
    if result.status == "written":
        return f"Saved as {blurkit.shown_name(result.dst.name)}"
    if was_cancelled(result):
        return "Cancelled, nothing saved"
    return f"Not saved: {result.error}"


def describe(exc: BaseException) -> str:
    if isinstance(exc, blurkit.BlurkitError):
        return str(exc)
    return f"unexpected error: {type(exc).__name__}: {exc}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def export_summary(
    saved: list[tuple[str, str]],
    failed: list[tuple[str, blurkit.FileResult]],
    faces: int,
    tracks: int,
    drawn: int,
    left_visible: int,
    tracks_visible: int,
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
    if tracks_visible:
        parts.append(
            f"<p>{plural(tracks_visible, 'face track')} you turned off {'was' if tracks_visible == 1 else 'were'} "
            "left visible in videos.</p>"
        )
    if unreviewed:
        parts.append(
            f"<p>Saved without your review (the detector's findings were used as they are): "
            f"{escape(', '.join(unreviewed))}.</p>"
        )
    if failed:
        rows = "".join(
            f"<li>{escape(name)}: {escape(r.error or 'failed')}. {escape(advice(r.details.get('error_type', '')))}</li>"
            for name, r in failed
        )
        parts.append(f"<p><b>Not saved:</b></p><ul>{rows}</ul>")
    if cancelled:
        parts.append(f"<p>Cancelled, nothing written for: {escape(', '.join(cancelled))}.</p>")
    if saved:
        parts.append(
            f"<p><b>Not removed:</b> {escape(blurkit.NOT_REMOVED)}. Check the saved files before you publish.</p>"
        )
    return "".join(parts)
