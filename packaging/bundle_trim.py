"""Trimming PyInstaller's collected binaries, for ``blurkit.spec``.

``prune_orphans``: once unused Qt plugins are dropped, the libraries that only they needed (the GTK theme's
GTK, cairo and pango libraries; QtSvg; QtNetwork; the embedded-display EGL libraries) are still in the list,
because PyInstaller collected them as the plugins' dependencies. This keeps a Qt library or a library from the
build machine's system only if something still in the bundle links to it (``ldd``, Linux only).

``strip_python``: Python's own shared library and extension modules, as a pyenv or source build leaves them,
carry debug information (libpython3.11.so: 23 MB, 4 MB without); copies without it are bundled instead. Only
those: third-party wheels' libraries were already stripped and patched by auditwheel, and ``strip`` can break
patched files. Linux only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def _needed(path: str) -> set[str]:
    """Sonames a file loads, directly or not, as ldd resolves them on the build machine."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True)
    names = set()
    for line in out.stdout.splitlines():
        if "=>" in line:
            names.add(line.split("=>", 1)[0].strip())
    return names


def prune_orphans(binaries: list, site_dirs: list[Path], log=print) -> list:
    """Drop Qt libraries and system libraries that nothing else in ``binaries`` links to."""
    if not sys.platform.startswith("linux") or not shutil.which("ldd"):
        return binaries

    def prunable(entry) -> bool:
        dest, src = entry[0].replace("\\", "/"), Path(entry[1]).resolve()
        if entry[2] != "BINARY":
            return False  # Python extension modules are what the program imports
        if dest.startswith("PySide6/Qt/lib/"):
            return True
        in_site = any(src.is_relative_to(s) for s in site_dirs)
        in_python = src.is_relative_to(Path(sys.base_prefix).resolve())
        return not in_site and not in_python

    roots = [e for e in binaries if not prunable(e) and e[2] != "SYMLINK"]
    reachable: set[str] = set()
    for entry in roots:
        reachable |= _needed(entry[1])
    kept, dropped = [], []
    for entry in binaries:
        if prunable(entry) and Path(entry[0]).name not in reachable:
            dropped.append(entry[0])
        else:
            kept.append(entry)
    if dropped:
        log(f"bundle_trim: dropped {len(dropped)} libraries nothing links to: {', '.join(sorted(dropped))}")
    return kept


def drop_dangling_symlinks(binaries: list, datas: list) -> list:
    """``datas`` without the SYMLINK entries (PyInstaller's links from the top folder to libraries in package
    folders) whose library is no longer collected."""
    present = {Path(e[0]).as_posix() for e in [*binaries, *datas] if e[2] != "SYMLINK"}

    def target(e) -> str:
        return Path(os.path.normpath(Path(e[0]).parent / e[1])).as_posix()

    return [e for e in datas if e[2] != "SYMLINK" or target(e) in present]


def strip_python(binaries: list, workdir: Path) -> list:
    """Bundle debug-free copies of Python's own shared libraries (Linux, when ``strip`` exists)."""
    strip = shutil.which("strip")
    if not sys.platform.startswith("linux") or not strip:
        return binaries
    base = Path(sys.base_prefix).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    out = []
    for entry in binaries:
        dest, src, kind = entry
        if Path(src).resolve().is_relative_to(base):
            copy = workdir / dest.replace("/", "__")
            if not copy.exists() or copy.stat().st_mtime < Path(src).stat().st_mtime:
                shutil.copyfile(src, copy)
                subprocess.run([strip, "--strip-debug", str(copy)], check=True)
            entry = (dest, str(copy), kind)
        out.append(entry)
    return out
