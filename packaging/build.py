"""Build the desktop bundle: ``python packaging/build.py``.

One command from a checkout, on the platform the bundle is for (PyInstaller does not cross-build):

1. a build environment of its own, ``packaging/build/venv``: blurkit's dependencies from pyproject.toml plus its
   ``bundle`` extra, at the versions pinned in ``packaging/constraints.txt``, with OpenCV swapped for its headless
   wheel (same cv2 module, without the Qt 5 and X11 libraries that only OpenCV's own windows use); it is reused
   while those inputs are unchanged;
2. PyInstaller with ``packaging/blurkit.spec``: one folder, ``packaging/dist/blurkit/``, holding the desktop app
   (``blurkit-gui``) and the command line (``blurkit``) over one shared ``_internal`` folder, with ffmpeg, the
   models, OpenVINO's CPU plugin and every bundled component's licence;
3. a smoke run of both executables, then the archive users download (``.tar.xz`` on Linux, or ``.tar.gz`` with
   ``--archive gz``, several times quicker to make; ``.zip`` on macOS and Windows);
4. the size check: the folder and the archive may not grow more than 10 % past ``packaging/size_budget.json``.

Options: ``--update-lock`` resolves the newest allowed versions and rewrites constraints.txt; ``--update-budget``
records this build's sizes as the new budget; ``--current-env`` builds with the running interpreter's packages
instead of the build venv (quicker to iterate; its bundle is not what users get, so no budget check);
``--archive none`` then ``--archive-only`` leave room to sign the executables (Windows) in between.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import venv
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = HERE / "build"
DIST = HERE / "dist"
VENV = BUILD / "venv"
SPEC = HERE / "blurkit.spec"
CONSTRAINTS = HERE / "constraints.txt"
BUDGET = HERE / "size_budget.json"
GROWTH = 1.10  # a build may be at most 10 % larger than the budget's sizes
APP = "blurkit"
# mediapipe asks for the full OpenCV wheel; the headless one is the same cv2 without highgui's Qt 5 / X11 libraries
OPENCV_FULL = "opencv-contrib-python"
OPENCV_HEADLESS = "opencv-contrib-python-headless"
VENV_RECIPE = 1  # raise when make_venv() changes what it installs, so existing build venvs are made again


def run(cmd: list[str | Path], **kw) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def requirements() -> list[str]:
    """What the bundle holds: blurkit's dependencies and its ``bundle`` extra (PyInstaller), from pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["bundle"]]


def make_venv(update_lock: bool) -> Path:
    """The build environment, made afresh whenever its inputs change (or with --update-lock)."""
    reqs = requirements()

    def stamp_text() -> str:
        constraints = CONSTRAINTS.read_text() if CONSTRAINTS.exists() else ""
        inputs = {"python": sys.version, "requirements": reqs, "constraints": constraints, "recipe": VENV_RECIPE}
        return json.dumps(inputs, indent=1)

    stamp = VENV / "blurkit-build-stamp.json"
    if not update_lock and stamp.exists() and stamp.read_text() == stamp_text():
        print(f"build venv {VENV} is up to date")
        return venv_python()
    if VENV.exists():
        shutil.rmtree(VENV)
    venv.create(VENV, with_pip=True)
    py = venv_python()
    pip = [py, "-m", "pip", "--disable-pip-version-check", "install", "--no-input"]
    req_file = BUILD / "requirements.txt"
    req_file.write_text("\n".join(reqs) + "\n")
    pins = [] if update_lock else ["-c", CONSTRAINTS]
    run([*pip, *pins, "-r", req_file])
    # the same cv2 module without OpenCV's GUI: remove the full wheel first, as both install into cv2/
    cv_version = subprocess.run(
        [py, "-c", f"import importlib.metadata as m; print(m.version('{OPENCV_FULL}'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    run([py, "-m", "pip", "uninstall", "--yes", OPENCV_FULL])
    headless = OPENCV_HEADLESS if not update_lock else f"{OPENCV_HEADLESS}<={cv_version}"
    run([*pip, "--no-deps", *pins, headless])
    if update_lock:
        frozen = subprocess.run(
            [py, "-m", "pip", "freeze", "--all", "--exclude", "pip", "--exclude", "setuptools"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        # keep the full wheel's pin too: mediapipe's requirement resolves it before the swap
        lines = sorted({*frozen.split(), f"{OPENCV_FULL}=={cv_version}"}, key=str.lower)
        CONSTRAINTS.write_text(
            "# Exact versions the desktop bundle is built and tested with: written by\n"
            "# `python packaging/build.py --update-lock`, read by every other build.\n" + "\n".join(lines) + "\n"
        )
        print(f"wrote {CONSTRAINTS.relative_to(ROOT)}")
    stamp.write_text(stamp_text())
    return py


def tree_size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def platform_tag() -> str:
    system = {"Linux": "linux", "Darwin": "macos", "Windows": "windows"}[platform.system()]
    machine = platform.machine().lower().replace("amd64", "x86_64").replace("arm64", "aarch64")
    return f"{system}-{machine}"


def make_archive(folder: Path, version: str, fmt: str) -> Path:
    """The download: on Linux a .tar.xz (smallest; what a release ships) or a .tar.gz (several times quicker to
    make, same contents: for CI), both keeping the executable bits and symlinks; a .zip on macOS and Windows."""
    stem = f"{APP}-{version}-{platform_tag()}"
    if platform.system() == "Linux":
        out = DIST / f"{stem}.tar.{fmt}"
        tmp = out.with_name(out.name + ".part")
        compressor = [shutil.which("xz"), "-6", "-T2"] if fmt == "xz" else [shutil.which("gzip"), "-6", "-n"]
        if shutil.which("tar") and compressor[0]:
            with open(tmp, "wb") as f:
                tar = subprocess.Popen(
                    [
                        "tar",
                        "--sort=name",
                        "--owner=0",
                        "--group=0",
                        "--numeric-owner",
                        "-C",
                        folder.parent,
                        "-cf",
                        "-",
                        folder.name,
                    ],
                    stdout=subprocess.PIPE,
                )
                subprocess.run([*compressor, "-c"], stdin=tar.stdout, stdout=f, check=True)
                if tar.wait():
                    raise subprocess.CalledProcessError(tar.returncode, "tar")
        else:

            def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                return info

            with tarfile.open(tmp, f"w:{fmt}", **({"preset": 6} if fmt == "xz" else {"compresslevel": 6})) as tar:
                tar.add(folder, arcname=folder.name, filter=clean)
        tmp.replace(out)
        return out
    # macOS: the .app inside a zip (ditto keeps its signature and symlinks); Windows: the folder in a zip
    out = DIST / f"{stem}.zip"
    if platform.system() == "Darwin":
        run(["ditto", "-c", "-k", "--sequesterRsrc", "--keepParent", DIST / "blurkit.app", out])
    else:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            for p in sorted(folder.rglob("*")):
                z.write(p, p.relative_to(folder.parent))
    return out


def smoke(folder: Path) -> None:
    """Both executables start, and the command line finds its ffmpeg and OpenVINO."""
    exe = ".exe" if os.name == "nt" else ""
    run([folder / f"{APP}{exe}", "--version"])
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run([folder / f"{APP}-gui{exe}", "--self-check"], env=env)


def check_budget(sizes: dict[str, int], update: bool) -> None:
    """Fail when the folder or the archive is more than 10 % larger than recorded; --update-budget records."""
    key = platform_tag()
    budget = json.loads(BUDGET.read_text()) if BUDGET.exists() else {}
    limits = budget.setdefault(key, {})
    if update or not all(what in limits for what in sizes):
        limits.update(sizes if update else {k: v for k, v in sizes.items() if k not in limits})
        BUDGET.write_text(json.dumps(budget, indent=2, sort_keys=True) + "\n")
        print(f"recorded sizes for {key} in {BUDGET.relative_to(ROOT)}")
    over = [
        f"{what}: {size / 1e6:.1f} MB, budget {limits[what] / 1e6:.1f} MB (+{(size / limits[what] - 1) * 100:.1f} %)"
        for what, size in sizes.items()
        if size > limits[what] * GROWTH
    ]
    if over:
        raise SystemExit(
            "the bundle grew more than 10 % past its size budget (packaging/size_budget.json):\n  "
            + "\n  ".join(over)
            + "\nFind what was added (packaging/build/work/blurkit/xref-blurkit.html lists every module, "
            "COLLECT-00.toc every file); if it belongs there, build again with --update-budget and say why."
        )
    for what, size in sizes.items():
        print(f"size {what}: {size / 1e6:.1f} MB, budget {limits[what] / 1e6:.1f} MB (fails above +10 %)")


def blurkit_version() -> str:
    """As pyproject.toml declares it, the one place it is written."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update-lock", action="store_true", help="resolve the newest versions, rewrite constraints")
    parser.add_argument("--update-budget", action="store_true", help="record this build's sizes as the budget")
    parser.add_argument("--current-env", action="store_true", help="build with this interpreter's packages")
    parser.add_argument(
        "--archive",
        choices=("xz", "gz", "none"),
        default="xz",
        help="Linux archive: .tar.xz (default, smallest), .tar.gz (quicker, for CI) or none",
    )
    parser.add_argument(
        "--archive-only", action="store_true", help="archive the folder built before (after signing it), no build"
    )
    args = parser.parse_args()

    start = time.monotonic()
    folder = DIST / APP
    if args.archive_only:
        env_done = built = start
    else:
        BUILD.mkdir(parents=True, exist_ok=True)
        py = Path(sys.executable) if args.current_env else make_venv(args.update_lock)
        env_done = time.monotonic()
        for old in [*DIST.glob(f"{APP}-*.tar.*"), *DIST.glob(f"{APP}-*.zip")]:
            old.unlink()  # an archive of an earlier build must not pass for this one
        pyinstaller = [py, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN"]
        run([*pyinstaller, "--distpath", DIST, "--workpath", BUILD / "work", SPEC], cwd=ROOT)
        smoke(folder)
        built = time.monotonic()
    sizes = {"unpacked_bytes": tree_size(folder)}
    if args.archive != "none":
        archive = make_archive(folder, blurkit_version(), args.archive)
        kind = "zip" if archive.suffix == ".zip" else f"tar_{args.archive}"
        sizes[f"archive_{kind}_bytes"] = archive.stat().st_size
        print(f"archive: {archive.relative_to(ROOT)}")
    done = time.monotonic()
    print(
        ", ".join(f"{k.removesuffix('_bytes').replace('_', ' ')} {v / 1e6:.1f} MB" for k, v in sizes.items())
        + f"; build venv {env_done - start:.0f} s, PyInstaller and smoke run {built - env_done:.0f} s,"
        f" archive {done - built:.0f} s, total {done - start:.0f} s"
    )
    if args.current_env:
        print("--current-env: not the release environment, so no size budget check")
    else:
        check_budget(sizes, args.update_budget)


if __name__ == "__main__":
    main()
