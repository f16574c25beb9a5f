"""The editor's report: one self-contained HTML file per batch, to read and sign off before publishing.

It opens from disk with no network (a Content-Security-Policy forbids anything but inline styles and
data: images; there is no script). Every picture in it is made from the OUTPUT files, never from an
original, so the report can travel with what is published. Every text from outside (file names,
errors, tag names) is escaped: a file name is attacker-controlled.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Mapping, Sequence
from html import escape
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from blurkit.batch import Skipped
from blurkit.check import CheckResult
from blurkit.contact_sheet import BUDGET_BYTES, build_sheet, time_code
from blurkit.media.image import read_photo
from blurkit.naming import shown_name
from blurkit.obscure import mask_regions
from blurkit.regions import Region
from blurkit.result import FileResult
from blurkit.settings import NOT_REMOVED, Settings, setting_fields
from blurkit.version import __version__

THUMB_SIDE = 640
# Timeline width in pixels; a video with more frames than that pools them into columns.
TIMELINE_WIDTH = 800
# Outline colours: what the main pass covered, what the second look added, what was drawn by hand, and
# what a check of the output still finds.
COLOURS = {"covered": "#1f9d3a", "second-look": "#e07b00", "manual": "#2c6fd6", "residual": "#d0021b",
           "kept": "#8e44ad"}  # fmt: skip
# (done, total, what): the report's progress, file by file and a video's frames as its sheet is drawn.
ReportProgress = Callable[[int, int, str], None]

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #111; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #eee; }
td.n { text-align: right; }
.warn { color: #a00; font-weight: bold; }
.ok { color: #16702b; }
section { border-top: 2px solid #333; margin-top: 2em; padding-top: 0.5em; }
img { max-width: 100%; border: 1px solid #888; }
code { word-break: break-all; }
.key span { display: inline-block; width: 0.9em; height: 0.9em; margin: 0 0.3em 0 1em; vertical-align: middle; }
.notice { background: #fff4d6; border: 1px solid #e0b84c; padding: 0.5em 1em; }
.kept { color: #5b2c6f; }
.signoff { border: 1px solid #333; padding: 0.6em 1em; margin: 1em 0; }
.signoff span.line { display: inline-block; min-width: 16em; border-bottom: 1px solid #333; margin: 0 1.5em 0 0.3em; }
.sheet { display: flex; flex-wrap: wrap; gap: 8px; }
.sheet figure { margin: 0; width: 320px; }
.sheet figcaption { font-size: 12px; }
.sheet figure:target { outline: 3px solid #d0021b; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  section { break-before: page; }
  .sheet figure, tr, .signoff { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def build_html(
    results: Sequence[FileResult],
    settings: Settings,
    *,
    skipped: Sequence[Skipped] = (),
    naming: str = "keep",
    checks: Mapping[Path, CheckResult] | None = None,
    reviewed: Mapping[Path, bool] | None = None,
    progress: ReportProgress | None = None,
) -> str:
    """The whole report as one HTML document. ``checks`` (by output path) are ``check_file`` results
    for the outputs: what a look at the written file still finds. ``reviewed`` (by output path): the files
    the user marked reviewed in the app, whose sign-off box comes ticked."""
    checks, reviewed = checks or {}, reviewed or {}
    files = [(i, r, checks.get(r.dst) if r.dst else None) for i, r in enumerate(results, 1)]
    body = [
        f"<h1>blurkit report</h1><p>blurkit {escape(__version__)}; {len(results)} file(s); output names: "
        f"{escape(naming)}. This report names the inputs: keep it apart from what you publish.</p>",
        f'<p class="notice"><b>Not removed:</b> {escape(NOT_REMOVED)}. Check every file before you publish.</p>',
        _summary(files),
        _legend(),
        *(_file(i, r, c, settings, bool(r.dst and reviewed.get(r.dst)), len(files), progress) for i, r, c in files),
        _settings_table(settings),
    ]
    if skipped:
        rows = "".join(f"<tr><td>{_text(s.path)}</td><td>{_text(s.reason)}</td></tr>" for s in skipped)
        body.append(f"<h2>Skipped</h2><table><tr><th>file</th><th>why</th></tr>{rows}</table>")
    csp = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        f"<title>blurkit report</title><style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _text(value: object) -> str:
    """Text from outside (a name, an error) escaped, on one line, with a name's bytes that are not UTF-8 as \\xNN."""
    return escape(shown_name(str(value)), quote=True)


def _residual(check: CheckResult | None) -> str:
    if check is None:
        return "not checked"
    if check.status == "failed":
        return f'<span class="warn">check failed: {_text(check.error)}</span>'
    kept = ""
    if check.kept:
        frames = len({r.frames for r in check.kept})
        where = f" in {frames} frame(s)" if check.kind == "video" else ""
        kept = f'; <span class="kept">{len(check.kept)} face(s){where} kept visible by you</span>'
    looked = f"{check.looked} of {check.frames} frames" if check.kind == "video" else "1 frame"
    if not check.findings:
        return f'<span class="ok">none ({looked} looked at)</span>{kept}'
    frames = len({r.frames for r in check.findings})
    where = f" in {frames} of the {check.looked} frames looked at" if check.kind == "video" else ""
    return f'<span class="warn">{len(check.findings)} face(s){where}</span>{kept}'


def _status(result: FileResult) -> str:
    if result.status == "failed":
        return f'<span class="warn">failed: {_text(result.error)}</span>'
    return _text(result.status)


def _summary(files: list[tuple[int, FileResult, CheckResult | None]]) -> str:
    rows = []
    for i, r, check in files:
        finds = r.second_look_finds
        rows.append(
            f'<tr><td><a href="#file-{i}">{_text(r.dst.name if r.dst else r.src.name)}</a></td>'
            f"<td>{_status(r)}</td><td class=n>{r.faces}</td>"
            f"<td class=n>{finds}</td><td>{_residual(check)}</td></tr>"
        )
    columns = ("file", "status", "faces covered", "second-look finds", "check of the output")
    head = "<tr>" + "".join(f"<th>{c}</th>" for c in columns) + "</tr>"
    return f"<h2>Summary</h2><table>{head}{''.join(rows)}</table>"


def _legend() -> str:
    names = {
        "covered": "covered (found by the main pass)",
        "second-look": "covered (found only by the second look)",
        "manual": "covered (drawn by hand)",
        "residual": "face the check of the output still finds",
        "kept": "face kept visible by you",
    }
    keys = "".join(f'<span style="background:{COLOURS[k]}"></span>{escape(v)}' for k, v in names.items())
    return f'<p class="key">Outlines:{keys}</p>'


def _file(
    i: int,
    r: FileResult,
    check: CheckResult | None,
    settings: Settings,
    reviewed: bool,
    count: int,
    progress: ReportProgress | None,
) -> str:
    parts = [
        f'<section id="file-{i}"><h2>{i}. {_text(r.dst.name if r.dst else r.src.name)}</h2>',
        "<table>",
        f"<tr><th>input</th><td><code>{_text(r.src)}</code></td></tr>",
        f"<tr><th>output</th><td><code>{_text(r.dst) if r.dst else '-'}</code></td></tr>",
        f"<tr><th>status</th><td>{_status(r)}</td></tr>",
        f"<tr><th>note</th><td>{_text(r.details.get('note', '-'))}</td></tr>",
        f"<tr><th>faces covered</th><td>{r.faces}, of which {r.second_look_finds} found only by the second look; "
        f"{sum(1 for x in r.regions if x.source == 'manual')} region(s) drawn by hand</td></tr>",
        f"<tr><th>check of the output</th><td>{_residual(check)}</td></tr>",
        f"<tr><th>output sha256</th><td><code>{_text(r.sha256 or '-')}</code></td></tr>",
        f"<tr><th>metadata removed</th><td>{_metadata(r)}</td></tr>",
        "</table>",
    ]
    if progress:
        progress(i - 1, count, r.dst.name if r.dst else r.src.name)
    sheet = None
    if r.status == "written" and r.dst is not None:
        if r.kind == "video" and r.frames is not None and len(r.frames):
            sheet = _sheet(i, r, check, settings, count, progress)
        else:
            parts.append(_thumbnail(r, check, settings))
    if r.kind == "video" and r.frames is not None:
        parts.append(_timeline(r, check, i, sheet))
    if sheet is not None:
        parts.append(sheet[0])
    parts.append(_signoff(i, reviewed))
    parts.append("</section>")
    return "\n".join(parts)


def _signoff(i: int, reviewed: bool) -> str:
    """A line to sign on paper (reviewed by, date) and the box the app ticks for a file marked reviewed."""
    tick = " checked" if reviewed else ""
    return (
        f'<p class="signoff"><label><input type="checkbox" id="reviewed-{i}"{tick} disabled> reviewed</label>'
        '&emsp;Reviewed by <span class="line"></span> Date <span class="line"></span></p>'
    )


def _sheet(
    i: int, r: FileResult, check: CheckResult | None, settings: Settings, count: int, progress: ReportProgress | None
) -> tuple[str, set[int]]:
    """The contact sheet's HTML and the frames on it (the timeline links to them)."""
    name = r.dst.name if r.dst else r.src.name

    def frames(done: int, total: int) -> None:
        if progress:
            progress(i - 1, count, f"{name}: frame {done} of {total}")

    try:
        sheet = build_sheet(r, check, settings, _outline, COLOURS, frames)
    except Exception as exc:  # a picture is a courtesy; the report goes on without one
        return f'<p class="warn">no contact sheet: the output could not be read ({_text(exc)})</p>', set()
    figures = []
    for index in sorted(sheet.frames):
        uri = "data:image/jpeg;base64," + base64.b64encode(sheet.frames[index]).decode()
        caption = f"{time_code(sheet.times[index])} · frame {index}"
        why = ", ".join(sheet.reasons[index])
        figures.append(
            f'<figure id="f{i}-{index}"><img src="{uri}" alt="{escape(caption)}">'
            f"<figcaption><b>{escape(caption)}</b><br>{escape(why)}</figcaption></figure>"
        )
    left = (
        f" {sheet.left_out} more frame(s) worth a look are not shown (marked on the timeline)."
        if sheet.left_out
        else ""
    )
    head = (
        f"<h3>Contact sheet</h3><p>{len(sheet.frames)} frame(s) of the output: the first of every shot, every "
        "frame the check or the second look flagged, and where a face track starts or ends at the edge; each "
        f"with its time code and frame number (pictures at most {BUDGET_BYTES // 1000} kB per video).{left}</p>"
    )
    return head + f'<div class="sheet">{"".join(figures)}</div>', set(sheet.frames)


def _metadata(r: FileResult) -> str:
    names = r.details.get("removed_metadata")
    if names is None:
        return "not recorded"
    if not names:
        return "none found in the input"
    return ", ".join(f"<code>{_text(n)}</code>" for n in names) + " (names only; every one of them is gone)"


def _thumbnail(r: FileResult, check: CheckResult | None, settings: Settings) -> str:
    """The written photo (a video gets a contact sheet), downscaled, with what was covered outlined."""
    assert r.dst is not None
    residual = check.findings if check is not None else []
    kept = check.kept if check is not None else []
    try:
        index, pixels, covered, caption = None, read_photo(r.dst).shown, r.regions, "the output (over white)"
    except Exception as exc:  # a thumbnail is a courtesy; the report goes on without one
        return f'<p class="warn">no picture: the output could not be read ({_text(exc)})</p>'
    height, width = pixels.shape[:2]
    f = min(1.0, THUMB_SIDE / max(width, height))
    image = Image.fromarray(pixels).resize((max(1, round(width * f)), max(1, round(height * f))))
    draw = ImageDraw.Draw(image)
    for mask in mask_regions(covered, settings, width, height, index):
        key = mask.source if mask.source in ("manual", "second-look") else "covered"
        _outline(draw, mask, f, COLOURS[key])
    for x in kept:
        _outline(draw, x, f, COLOURS["kept"], box=True)
    for x in residual:
        _outline(draw, x, f, COLOURS["residual"], box=True)
    data = io.BytesIO()
    image.save(data, "JPEG", quality=85)
    uri = "data:image/jpeg;base64," + base64.b64encode(data.getvalue()).decode()
    return f'<figure><img src="{uri}" alt="{escape(caption)}"><figcaption>{escape(caption)}</figcaption></figure>'


def _outline(draw: ImageDraw.ImageDraw, r: Region, f: float, colour: str, box: bool = False) -> None:
    xy = (r.x0 * f, r.y0 * f, r.x1 * f, r.y1 * f)
    if box or r.shape == "box":
        draw.rectangle(xy, outline=colour, width=2)
    else:
        draw.ellipse(xy, outline=colour, width=2)


def _timeline(r: FileResult, check: CheckResult | None, number: int, sheet: tuple[str, set[int]] | None) -> str:
    """Faces covered per frame as bars; above them lanes for manual regions, second-look finds and faces
    the check still finds; shot cuts as vertical lines; below, a mark for each frame on the contact sheet,
    linked to it."""
    assert r.frames is not None
    n = len(r.frames)
    if not n:
        return ""
    bins = min(n, TIMELINE_WIDTH)
    faces, manual, second = np.zeros(bins, int), np.zeros(bins, bool), np.zeros(bins, bool)
    for i, regions in enumerate(r.frames):
        b = i * bins // n
        faces[b] = max(faces[b], sum(1 for x in regions if x.source != "manual"))
        manual[b] |= any(x.source == "manual" for x in regions)
        second[b] |= any(x.source == "second-look" for x in regions)
    residual = np.zeros(bins, bool)
    for x in check.findings if check is not None else []:
        if x.frames is not None and x.frames[0] < n:
            residual[x.frames[0] * bins // n] = True
    w, top, lane, bar_h = TIMELINE_WIDTH / bins, 42, 10, 60
    height = top + bar_h + 16 + 14
    scale = bar_h / max(1, int(faces.max()))
    shapes = []
    for b in range(bins):
        x = b * w
        if faces[b]:
            h, y = faces[b] * scale, top + bar_h - faces[b] * scale
            shapes.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.2f}" height="{h:.1f}" fill="#8a8a8a"/>')
        for row, (flag, key) in enumerate(((manual, "manual"), (second, "second-look"), (residual, "residual"))):
            if flag[b]:
                y = 2 + row * (lane + 3)
                shapes.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.2f}" height="{lane}" fill="{COLOURS[key]}"/>')
    cuts = [int(c) for c in r.details.get("cuts", []) if c > 0]  # (the first frame starts the first shot)
    for cut in cuts:
        x = cut * bins // n * w
        shapes.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 14}" stroke="#000" stroke-width="1.5">'
                      f"<title>shot cut at frame {cut}</title></line>")  # fmt: skip
    for index in sorted(sheet[1]) if sheet else []:
        x = index * bins // n * w + w / 2
        y = top + bar_h + 2
        shapes.append(f'<a href="#f{number}-{index}"><title>frame {index}</title><path d="M{x - 5:.1f},{y + 12} '
                      f'L{x:.1f},{y} L{x + 5:.1f},{y + 12} Z" fill="#333"/></a>')  # fmt: skip
    shapes.append(f'<text x="0" y="{height - 2}" font-size="11">frame 0</text>')
    shapes.append(f'<text x="{TIMELINE_WIDTH}" y="{height - 2}" font-size="11" text-anchor="end">frame {n - 1}</text>')
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{TIMELINE_WIDTH}" height="{height}" '
        f'style="border:1px solid #888;overflow:visible">{"".join(shapes)}</svg>'
    )
    rows = "manual regions, second-look finds, faces the check still finds (top to bottom)"
    return (
        f"<h3>Timeline</h3><p>Grey bars: faces covered per frame (most {int(faces.max())}); coloured lanes: {rows}; "
        f"black lines: shot cuts ({len(cuts)}); triangles below: frames on the contact sheet (click one).</p>{svg}"
    )


def _settings_table(settings: Settings) -> str:
    rows = "".join(
        f"<tr><th>{_text(f.name.replace('_', ' '))}</th><td>{_text(f.metadata['show'](getattr(settings, f.name)))}</td>"
        f"<td>{_text(f.metadata['help'])}</td></tr>"
        for f in setting_fields()
    )
    return f"<h2>Settings used</h2><table>{rows}</table>"
