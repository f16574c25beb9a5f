"""``blurkit check PATH...``: list every face still found in files that are already anonymized."""

from __future__ import annotations

import argparse
import json
import sys

from tqdm import tqdm

from blurkit.batch import list_media
from blurkit.check import CheckResult, check_file, outputs_in_report, written_by_blurkit
from blurkit.cli.common import EXIT_FACES, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, add_setting
from blurkit.media import kind_of
from blurkit.naming import shown_name
from blurkit.settings import Settings, detection_fields, setting_fields
from blurkit.version import __version__

# The detection settings a check takes (the same flags as an export's); it always takes its second look.
CHECK_SETTINGS = ("check_threshold", *(name for name in detection_fields() if name != "second_look"))
# Findings listed per file in the human-readable output; --json lists all.
SHOWN = 20

DESCRIPTION = """\
Look for faces left in photos and videos that are already anonymized (by blurkit or any
other tool) and list every one found: file, frame, box and score. Nothing is written or
changed. Two model families look (blurkit's CenterFace, with its second look, and YuNet);
videos are looked at every 16th frame (and the first and last). With --known, faces the user chose to keep visible
are listed as "kept visible by you", not as faces found.
"""

EPILOG = f"""\
exit status: {EXIT_OK} no face found in any file, {EXIT_FACES} faces found (every file was checked),
{EXIT_FAILED} some file could not be checked (faces may have been found in others), {EXIT_USAGE} usage error,
{EXIT_INTERRUPTED} interrupted. No check proves a file safe: look at every file before you publish.
"""


def add_parser(commands: argparse._SubParsersAction, name: str) -> argparse.ArgumentParser:
    p = commands.add_parser(
        name,
        help="list the faces still found in files that are already anonymized; writes nothing",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="photos, videos or folders (walked recursively)")
    p.add_argument("--json", action="store_true", help="print one JSON document (every finding) instead of text")
    p.add_argument(
        "--known",
        metavar="REPORT.json",
        help="the JSON report of the blurkit run that wrote these files: in a file that is byte for byte what it "
        "wrote, the regions blurkit covered are left out (its erased patches can score as faces)",
    )
    d = Settings()
    for f in setting_fields():
        if f.name in CHECK_SETTINGS:
            add_setting(p, f, getattr(d, f.name))
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary line")
    p.set_defaults(run=lambda args: main(args, p))
    return p


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        settings = Settings(**{n: getattr(args, n) for n in CHECK_SETTINGS if getattr(args, n) is not None})
        known = outputs_in_report(args.known) if args.known else {}
    except ValueError as exc:
        parser.error(str(exc))
    paths, skipped = list_media(args.paths)
    if not paths:
        for s in skipped:
            print(f"blurkit check: {shown_name(s.path)}: {s.reason}", file=sys.stderr)
        print("blurkit check: no photos or videos found", file=sys.stderr)
        return EXIT_FAILED
    results: list[CheckResult] = []
    try:
        for path in paths:
            quiet = args.quiet or kind_of(path) != "video"
            bar = tqdm(desc=shown_name(path.name), unit="frame", leave=False, file=sys.stderr, disable=quiet)

            def update(done: int, total: int, bar: tqdm = bar) -> None:
                bar.total = total
                bar.update(done - bar.n)

            written = written_by_blurkit(path, known)
            results.append(check_file(path, settings, written=written, progress=update))
            bar.close()
            if not args.json:
                _say(results[-1])
    except KeyboardInterrupt:
        print("blurkit check: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    counts = {status: sum(r.status == status for r in results) for status in ("clean", "faces", "failed")}
    if args.json:
        doc = {
            "blurkit": __version__,
            "settings": settings.to_dict(),
            "summary": counts,
            "files": [r.to_dict() for r in results],
            "skipped": [s.to_dict() for s in skipped],
        }
        print(json.dumps(doc, indent=1))
    elif not args.quiet:
        print(
            f"blurkit check: {len(results)} file(s): {counts['clean']} with no face found, "
            f"{counts['faces']} with faces, {counts['failed']} could not be checked",
            file=sys.stderr,
        )
    if counts["failed"]:
        return EXIT_FAILED
    return EXIT_FACES if counts["faces"] else EXIT_OK


def _say(r: CheckResult) -> None:
    """One line per file, then its findings; a failure goes to stderr like an export's."""
    if r.status == "failed":
        print(f"blurkit check: {shown_name(r.path)}: {r.error}", file=sys.stderr)
        return
    known = " (outside what blurkit covered)" if r.known else ""
    if r.kept:
        known += f"; {len(r.kept)} face(s) kept visible by you"
    if r.status == "clean":
        looked = f" ({r.looked} of {r.frames} frames looked at)" if r.kind == "video" else ""
        print(f"{shown_name(r.path)}: no face found{looked}{known}")
        return
    frames = len({x.frames for x in r.findings})
    where = f" in {frames} of the {r.looked} frames looked at" if r.kind == "video" else ""
    print(f"{shown_name(r.path)}: {len(r.findings)} face(s){where}{known}")
    for x in r.findings[:SHOWN]:
        at = f"frame {x.frames[0]}: " if x.frames is not None else ""
        print(f"  {at}x={x.x0:.0f} y={x.y0:.0f} w={x.width:.0f} h={x.height:.0f} score {x.score:.2f}")
    if len(r.findings) > SHOWN:
        print(f"  ... and {len(r.findings) - SHOWN} more (--json lists all)")
