"""The batch command line: ``blurkit INPUT... -o OUTPUT``."""

from __future__ import annotations

import argparse
import signal
import sys
from dataclasses import Field
from pathlib import Path

from tqdm import tqdm

from blurkit import __version__
from blurkit.api import Progress
from blurkit.atomic import check_writable
from blurkit.batch import Job, Plan, output_is_a_file, plan, run
from blurkit.errors import BlurkitError
from blurkit.media import kind_of
from blurkit.naming import NAMINGS
from blurkit.regions import Region
from blurkit.report import report_paths, write_name_map
from blurkit.report_run import write_reports
from blurkit.result import FileResult
from blurkit.settings import FAST_VIDEO, MODES, NOT_REMOVED, Settings, setting_fields

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

DESCRIPTION = """\
Find every face in photos and videos and obscure it so it cannot be recognised.
Works offline; inputs are never modified.

INPUT is any mix of files and folders. Folders are walked recursively and their
tree is mirrored under OUTPUT with the same file names (or, with --names random
or sequential, every file gets a new name directly in OUTPUT). With a single
input file, OUTPUT may name the output file instead of a folder.

Every output carries no metadata: no EXIF (GPS, time, camera serial), no
embedded thumbnail, no XMP/IPTC, no colour profile (converted to sRGB).
Videos keep their frames, size, timing and sound (unless --audio drop); their
container tags (time, place, camera), chapters, subtitles, attachments and
cover art are dropped.
"""

EPILOG = f"""\
modes:
{chr(10).join(f"  {name:9} {text}" for name, text in MODES.items())}

not removed: {NOT_REMOVED}.
Check the results before you publish; `blurkit check PATH...` lists the faces
it still finds in any anonymized file (see blurkit check -h).

file names (--names):
{chr(10).join(f"  {name:11} {text}" for name, text in NAMINGS.items())}

exit status: 0 all files done, 1 some files failed (each named on stderr),
2 usage error, 130 interrupted (no partial files are left).
"""
# Skipped files named one per line in the summary, before "... and N more".
SKIPPED_SHOWN = 20


def _region(text: str) -> Region:
    """X,Y,W,H in pixels of the upright picture, optionally @FIRST-LAST (video frames, from 0)."""
    box, _, frames = text.partition("@")
    try:
        x, y, w, h = (float(v) for v in box.split(","))
        span = tuple(int(v) for v in frames.split("-")) if frames else None
    except ValueError:
        raise argparse.ArgumentTypeError("use X,Y,W,H or X,Y,W,H@FIRST-LAST, e.g. 40,600,360,100@100-250") from None
    if w <= 0 or h <= 0 or (span is not None and (len(span) != 2 or not 0 <= span[0] <= span[1])):
        raise argparse.ArgumentTypeError("width and height must be positive and FIRST-LAST an increasing range")
    return Region(x, y, x + w, y + h, shape="box", source="manual", frames=span)  # type: ignore[arg-type]


def build_parser() -> argparse.ArgumentParser:
    d = Settings()
    p = argparse.ArgumentParser(
        prog="blurkit", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="photos, videos or folders")
    p.add_argument(
        "-o", "--output", required=True, metavar="OUTPUT", help="output folder (or file, for one input file)"
    )
    groups = {name: p.add_argument_group(name) for name in ("obscuring", "detection", "video")}
    for f in setting_fields():
        add_setting(groups[f.metadata["group"]], f, getattr(d, f.name))
    groups["obscuring"].add_argument(
        "--region",
        type=_region,
        action="append",
        default=[],
        metavar="X,Y,W,H[@A-B]",
        help="also cover this box in every input (a sign, a tattoo, a face the detector misses); "
        "@A-B limits it to video frames A to B; repeat for more",
    )
    groups["video"].add_argument(
        "--fast",
        action="store_true",
        help=f"the full search every {FAST_VIDEO['detect_every']}th frame at {FAST_VIDEO['detect_megapixels']} "
        f"megapixels and the {FAST_VIDEO['preset']} preset (each unless given): quicker, but small crowd faces are "
        "more often missed (every frame is still checked for faces big enough to identify)",
    )
    g = p.add_argument_group("run")
    g.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="processes working at once, on files and on segments of long videos (default 1)",
    )
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on the Dask cluster whose scheduler is at ADDRESS (tcp://HOST:8786); its workers must see "
        "the inputs and OUTPUT at the same paths (needs blurkit[dask])",
    )
    g.add_argument(
        "--names",
        choices=NAMINGS,
        default="keep",
        help="output file names: keep, random or sequential (default keep; see below)",
    )
    g.add_argument(
        "--report",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="write what was found and written, per file, and what was skipped, as FILE.json, or as FILE.html: a "
        "report an editor can read and sign off, with a picture of every output and a check of it (FILE.json is "
        "written beside it, unless a JSON report is given too); repeat for both; it names the inputs",
    )
    g.add_argument(
        "--name-map",
        type=Path,
        metavar="FILE.csv",
        help="write input,output for each file written; it links renamed outputs to the originals",
    )
    g.add_argument("--dry-run", action="store_true", help="detect and report, write no images or videos")
    g.add_argument("--overwrite", action="store_true", help="replace existing output files (never an input)")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary; errors still go to stderr")
    p.add_argument("--version", action="version", version=f"blurkit {__version__}")
    return p


def add_setting(group: argparse._ActionsContainer, f: Field, default: object) -> None:
    """One setting's option, from its declaration in ``Settings``. Its default is left as None here, so
    that --fast can tell what was given."""
    meta = f.metadata
    parse = meta["parse"] or type(default)

    def value(text: str) -> object:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc) or f"not a valid {f.name}") from None

    value.__name__ = f.name
    extra = {"choices": list(meta["choices"])} if meta["choices"] else {"metavar": meta["metavar"]}
    help = f"{meta['help']} (default {meta['show'](default)})".replace("%", "%%")
    group.add_argument("--" + f.name.replace("_", "-"), type=value, help=help, **extra)


def options_table() -> str:
    """The README's option table, made from the parser (itself made from ``Settings``): a test keeps the
    README equal to it, so the two cannot drift."""
    rows = ["| option | what it does |", "| --- | --- |"]
    for action in build_parser()._actions:
        if not action.option_strings or action.dest in ("help", "version", "output"):
            continue
        if action.choices:
            arg = " {" + ",".join(map(str, action.choices)) + "}"
        else:
            arg = f" {action.metavar}" if action.metavar else ""
        flags = ", ".join(f"`{flag}{arg}`" for flag in action.option_strings)
        rows.append(f"| {flags} | {(action.help or '').replace('%%', '%').replace('|', '/')} |")
    return "\n".join(rows)


def settings_from(args: argparse.Namespace) -> Settings:
    given = {f.name: getattr(args, f.name) for f in setting_fields() if getattr(args, f.name) is not None}
    return Settings(**(FAST_VIDEO if args.fast else {}) | given)


def _sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["check"]:  # its own command and parser (a file named check: ./check)
        from blurkit.check_cli import main as check_main

        return check_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_from(args)
    except ValueError as exc:
        parser.error(str(exc))
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    try:
        args.report = report_paths(args.report)
    except ValueError as exc:
        parser.error(f"--report: {exc}")
    sides = [*(("--report", r, ".json or .html") for r in args.report), ("--name-map", args.name_map, ".csv")]
    for flag, path, want in sides:
        if path and kind_of(path):
            parser.error(f"{flag} {path} names a photo or video; give a {want} file")
    if args.name_map and any(r.absolute() == args.name_map.absolute() for r in args.report):
        parser.error("--report and --name-map must be different files")
    output = Path(args.output)
    if output.exists() and not output.is_dir() and not output_is_a_file(args.inputs, output):
        parser.error(f"{output} is a file; OUTPUT must be a folder (or, with one input file, a photo or video file)")
    for flag, path in [*(("--report", r) for r in args.report), ("--name-map", args.name_map)]:
        try:
            if path:
                check_writable(path, args.overwrite)
        except BlurkitError as exc:
            print(f"blurkit: {flag}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    signal.signal(signal.SIGTERM, _sigterm)

    planned = plan(args.inputs, args.output, args.names)
    jobs, results = planned.jobs, list(planned.problems)
    for r in results:
        _say_failed(r)
    if not jobs and not results:
        _say_skipped(planned)
        print("blurkit: no photos or videos found in the inputs", file=sys.stderr)
        return EXIT_FAILED
    bar = tqdm(
        total=len(jobs),
        unit="file",
        disable=args.quiet or (len(jobs) < 2 and args.jobs == 1 and not args.scheduler),
        file=sys.stderr,
    )

    frames: list[tqdm] = []

    def on_result(r: FileResult) -> None:
        while frames:
            frames.pop().close()
        if r.status == "failed":
            bar.clear()
            _say_failed(r)
        bar.update(1)

    def on_progress(job: Job) -> Progress | None:
        """A frame bar (with fps and ETA) for each video, closed by ``on_result``."""
        if args.quiet or kind_of(job.src) != "video":
            return None
        frames.append(tqdm(desc=job.src.name, unit="frame", leave=False, file=sys.stderr, dynamic_ncols=True))

        def update(done: int, total: int) -> None:
            frames[-1].total = total
            frames[-1].update(done - frames[-1].n)

        return update

    def on_part(job: Job, done: int, total: int) -> None:
        bar.set_postfix_str(f"{job.src.name}: {done}/{total} segments", refresh=True)

    try:
        results += run(
            jobs,
            settings,
            workers=args.jobs,
            overwrite=args.overwrite,
            dry_run=args.dry_run,
            on_result=on_result,
            on_progress=on_progress,
            extra_regions=args.region,
            scheduler=args.scheduler,
            on_part=on_part,
        )
    except BlurkitError as exc:  # the cluster cannot be reached, or cannot see the files
        bar.close()
        print(f"blurkit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        bar.close()
        print("blurkit: interrupted; no partial files were left", file=sys.stderr)
        return EXIT_INTERRUPTED
    bar.close()
    try:
        write_reports(args.report, results, settings, planned.skipped, args.names, args.overwrite, args.dry_run,
                      args.quiet)  # fmt: skip
        if args.name_map:
            write_name_map(args.name_map, results, overwrite=args.overwrite)
    except (OSError, BlurkitError) as exc:
        print(f"blurkit: the report was not written: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("blurkit: interrupted; the outputs are written, the report is not", file=sys.stderr)
        return EXIT_INTERRUPTED
    bad = [r for r in results if r.status == "failed"]
    if not args.quiet:
        _say_skipped(planned)
        _say_names(planned, args)
        done = [r for r in results if r.status != "failed"]
        verb = "checked" if args.dry_run else "anonymized"
        print(
            f"blurkit: {len(done)} file(s) {verb}, {sum(r.faces for r in done)} face(s) obscured"
            + (f", {len(bad)} failed" if bad else "")
            + ("" if args.dry_run else f" -> {args.output}"),
            file=sys.stderr,
        )
    return EXIT_FAILED if bad else EXIT_OK


def _say_skipped(planned: Plan) -> None:
    """Every file a folder held that was left out, with why: nothing is dropped without a word."""
    if not planned.skipped:
        return
    print(f"blurkit: skipped {len(planned.skipped)} file(s) in the input folders:", file=sys.stderr)
    for s in planned.skipped[:SKIPPED_SHOWN]:
        print(f"  {s.path}: {s.reason}", file=sys.stderr)
    if len(planned.skipped) > SKIPPED_SHOWN:
        print(f"  ... and {len(planned.skipped) - SKIPPED_SHOWN} more (all listed by --report)", file=sys.stderr)


def _say_names(planned: Plan, args: argparse.Namespace) -> None:
    """What the output names and the side files still tell about the originals."""
    if planned.revealing:
        print(
            f"blurkit: {len(planned.revealing)} output name(s) look like a camera's or a date, e.g. "
            f"{planned.revealing[0].name}; they can give away when and with what it was taken "
            "(--names random or sequential leaves them out)",
            file=sys.stderr,
        )
    links = [f"{flag} {path}" for flag, path in [*(("--report", r) for r in args.report), ("--name-map", args.name_map)]
             if path]  # fmt: skip
    if links and (args.names != "keep" or args.name_map):
        print(
            f"blurkit: {' and '.join(links)} link(s) every output to its original; "
            "keep them apart from what you publish",
            file=sys.stderr,
        )


def _say_failed(r: FileResult) -> None:
    tqdm.write(f"blurkit: {r.src}: {r.error}", file=sys.stderr)
