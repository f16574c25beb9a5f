"""``blurkit [anonymize] INPUT... -o OUTPUT``: obscure every face in photos and videos, many files at a time."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from tqdm import tqdm

from blurkit.api import Progress
from blurkit.atomic import check_writable
from blurkit.batch import EARLIER_OUTPUT, OUTPUT_FOLDER, Job, Plan, output_is_a_file, plan, run
from blurkit.cli.common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, add_setting
from blurkit.door import read_earlier
from blurkit.errors import BlurkitError
from blurkit.media import kind_of
from blurkit.naming import NAMINGS, shown_name
from blurkit.regions import Region
from blurkit.report import is_html, report_paths, write_name_map
from blurkit.report_run import write_reports
from blurkit.request import Earlier, Run
from blurkit.result import FileResult
from blurkit.settings import FAST_VIDEO, MODES, NOT_REMOVED, Settings, setting_fields

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


def add_parser(commands: argparse._SubParsersAction, name: str) -> argparse.ArgumentParser:
    """``blurkit anonymize``, the default command."""
    p = commands.add_parser(
        name,
        help="obscure every face in photos and videos (the default command)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(p)
    p.set_defaults(run=lambda args: main(args, p))
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = Settings()
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
    g.add_argument(
        "--skip-existing",
        action="store_true",
        help="re-run a growing folder: keep each output that the earlier run's --report FILE.json vouches for (the "
        "output's and the input's sha256 unchanged), leave its outputs out of the input folders, and do the rest; "
        "the report is then replaced by one that lists both",
    )
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary; errors still go to stderr")


def options_table() -> str:
    """The README's option table, made from the parser (itself made from ``Settings``): a test keeps the
    README equal to it, so the two cannot drift."""
    rows = ["| option | what it does |", "| --- | --- |"]
    p = argparse.ArgumentParser(prog="blurkit")
    add_arguments(p)
    for action in p._actions:
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


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Parse, run, report, summarise: each step a function of its own."""
    settings = validated(args, parser)
    try:
        request = run_request(args)
    except BlurkitError as exc:
        print(f"blurkit: --report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for flag, path in [*(("--report", r) for r in args.report), ("--name-map", args.name_map)]:
        try:
            if path:
                check_writable(path, replaces_report(request) if flag == "--report" else args.overwrite)
        except BlurkitError as exc:
            print(f"blurkit: {flag}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    signal.signal(signal.SIGTERM, _sigterm)

    planned = plan(args.inputs, args.output, args.names, settings=settings, run=request, extra=args.region)
    for r in planned.unplannable:
        _say_failed(r)
    admitted = planned.admission
    if not (admitted.jobs or admitted.refusals or admitted.kept or planned.unplannable):
        _say_skipped(planned)
        print("blurkit: no photos or videos found in the inputs", file=sys.stderr)
        return EXIT_FAILED
    try:
        results = list(planned.unplannable) + run_jobs(planned, settings, request, args)
    except BlurkitError as exc:  # the cluster cannot be reached, or cannot see the files
        print(f"blurkit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("blurkit: interrupted; no partial files were left", file=sys.stderr)
        return EXIT_INTERRUPTED
    status = write_side_files(results, settings, planned, request, args)
    if status != EXIT_OK:
        return status
    if not args.quiet:
        summary(results, planned, args)
    return EXIT_FAILED if any(r.status == "failed" for r in results) else EXIT_OK


def validated(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Settings:
    """The settings the options ask for; a usage error (exit 2) for anything that cannot work."""
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
    if args.skip_existing and json_report(args) is None:
        parser.error("--skip-existing needs --report FILE.json: the earlier run's report vouches for its outputs")
    output = Path(args.output)
    if output.exists() and not output.is_dir() and not output_is_a_file(args.inputs, output):
        parser.error(f"{output} is a file; OUTPUT must be a folder (or, with one input file, a photo or video file)")
    return settings


def run_request(args: argparse.Namespace) -> Run:
    """How this run goes: overwrite, dry run, and with --skip-existing what the earlier run's report vouches for."""
    earlier = None
    if args.skip_existing:
        # the first run of a folder has no report yet: nothing is done
        report = json_report(args)
        earlier = read_earlier(report) if report.exists() else Earlier(report)
    return Run(overwrite=args.overwrite, dry_run=args.dry_run, earlier=earlier)


def json_report(args: argparse.Namespace) -> Path | None:
    """The JSON report among --report's files (``report_paths`` adds one beside an HTML report)."""
    return next((r for r in args.report if not is_html(r)), None)


def replaces_report(request: Run) -> bool:
    """With --skip-existing the earlier run's report is replaced by this run's, which lists both (a dry run's
    would vouch for nothing: it leaves the report alone)."""
    return request.overwrite or (request.earlier is not None and not request.dry_run)


def run_jobs(planned: Plan, settings: Settings, request: Run, args: argparse.Namespace) -> list[FileResult]:
    """Every admitted job, with a bar over the files and one over each video's frames; failures said as they
    come."""
    admitted = planned.admission
    jobs = admitted.jobs
    bar = tqdm(
        total=len(jobs) + len(admitted.refusals) + len(admitted.kept),
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
        elif r.details.get("note") and not args.quiet:  # what was not written, or written otherwise
            tqdm.write(f"blurkit: {shown_name(r.src)}: {r.details['note']}", file=sys.stderr)
        bar.update(1)

    def on_progress(job: Job) -> Progress | None:
        """A frame bar (with fps and ETA) for each video, closed by ``on_result``."""
        if args.quiet or kind_of(job.src) != "video":
            return None
        frames.append(
            tqdm(desc=shown_name(job.src.name), unit="frame", leave=False, file=sys.stderr, dynamic_ncols=True)
        )

        def update(done: int, total: int) -> None:
            frames[-1].total = total
            frames[-1].update(done - frames[-1].n)

        return update

    def on_part(job: Job, done: int, total: int) -> None:
        bar.set_postfix_str(f"{shown_name(job.src.name)}: {done}/{total} segments", refresh=True)

    try:
        return run(
            admitted,
            settings,
            workers=args.jobs,
            request=request,
            on_result=on_result,
            on_progress=on_progress,
            scheduler=args.scheduler,
            on_part=on_part,
        )
    finally:
        bar.close()


def write_side_files(
    results: list[FileResult], settings: Settings, planned: Plan, request: Run, args: argparse.Namespace
) -> int:
    """The report and the name map, after every output is written: EXIT_OK, or why they are missing."""
    try:
        write_reports(
            args.report, results, settings, planned.skipped, args.names, replaces_report(request), args.dry_run,
            args.quiet,
        )  # fmt: skip
        if args.name_map:
            write_name_map(args.name_map, results, overwrite=args.overwrite)
    except (OSError, BlurkitError) as exc:
        print(f"blurkit: the report was not written: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("blurkit: interrupted; the outputs are written, the report is not", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


def summary(results: list[FileResult], planned: Plan, args: argparse.Namespace) -> None:
    """What was done, skipped and what the names still tell, in a few lines on stderr."""
    _say_skipped(planned)
    _say_names(planned, args)
    bad = [r for r in results if r.status == "failed"]
    done = [r for r in results if r.status in ("written", "dry-run")]
    kept = sum(r.status == "kept" for r in results)
    verb = "checked" if args.dry_run else "anonymized"
    print(
        f"blurkit: {len(done)} file(s) {verb}, {sum(r.faces for r in done)} face(s) obscured"
        + (f", {kept} kept as the earlier run wrote them" if kept else "")
        + (f", {len(bad)} failed" if bad else "")
        + ("" if args.dry_run else f" -> {args.output}"),
        file=sys.stderr,
    )


def _say_skipped(planned: Plan) -> None:
    """Every file a folder held that was left out, with why: nothing is dropped without a word (what blurkit
    wrote itself, in one line each: the output folder inside an input, an earlier run's outputs)."""
    for s in planned.skipped:
        if s.reason == OUTPUT_FOLDER:
            print(f"blurkit: left out {shown_name(s.path)} of the input: it is the output folder", file=sys.stderr)
    own = [s for s in planned.skipped if s.reason == EARLIER_OUTPUT]
    if own:
        print(
            f"blurkit: left out {len(own)} file(s) in the input folders that an earlier run wrote, as its report "
            "vouches (listed by --report)",
            file=sys.stderr,
        )
    other = [s for s in planned.skipped if s.reason not in (OUTPUT_FOLDER, EARLIER_OUTPUT)]
    if not other:
        return
    print(f"blurkit: skipped {len(other)} file(s) in the input folders:", file=sys.stderr)
    for s in other[:SKIPPED_SHOWN]:
        print(f"  {shown_name(s.path)}: {s.reason}", file=sys.stderr)
    if len(other) > SKIPPED_SHOWN:
        print(f"  ... and {len(other) - SKIPPED_SHOWN} more (all listed by --report)", file=sys.stderr)


def _say_names(planned: Plan, args: argparse.Namespace) -> None:
    """What the output names and the side files still tell about the originals."""
    if planned.revealing:
        print(
            f"blurkit: {len(planned.revealing)} output name(s) look like a camera's or a date, e.g. "
            f"{shown_name(planned.revealing[0].name)}; they can give away when and with what it was taken "
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
    tqdm.write(f"blurkit: {shown_name(r.src)}: {r.error}", file=sys.stderr)
