"""PyInstaller runtime hook: runs in both frozen executables before any of blurkit's code.

1. ffmpeg: the bundle's own binary (``_internal/ffmpeg/``) goes first on PATH, so blurkit's ``ffmpeg_exe()``
   (which asks PATH before imageio-ffmpeg) always runs the ffmpeg this bundle was built and tested with, never
   whatever ffmpeg the computer happens to have (one without libx264 could not write H.264). imageio-ffmpeg is
   pointed at the same file.
2. LD_LIBRARY_PATH: on Linux PyInstaller's bootloader puts ``_internal`` first on it (keeping the user's value in
   LD_LIBRARY_PATH_ORIG). This process read it at start-up, which is all it needs; programs it starts (ffmpeg)
   get the user's value back, so they load their own system's libraries, not the bundle's copies (PyInstaller's
   manual: "LD_LIBRARY_PATH / LIBPATH considerations").
3. matplotlib: mediapipe's drawing helpers import ``matplotlib.pyplot`` at import time, though blurkit never
   draws with them. The bundle leaves matplotlib out (about 40 MB with its fonts and dependencies); this serves
   an empty stand-in for that one import from mediapipe only. Using it raises an AttributeError that says so.
"""

import importlib.abc
import importlib.machinery
import os
import sys
import types


def _bundled_ffmpeg() -> None:
    folder = os.path.join(sys._MEIPASS, "ffmpeg")
    exe = os.path.join(folder, "ffmpeg.exe" if os.name == "nt" else "ffmpeg")
    if os.path.isfile(exe):
        os.environ["PATH"] = folder + os.pathsep + os.environ.get("PATH", "")
        os.environ.setdefault("IMAGEIO_FFMPEG_EXE", exe)


def _restore_library_path() -> None:
    if not sys.platform.startswith("linux"):
        return
    original = os.environ.get("LD_LIBRARY_PATH_ORIG")
    if original is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = original


class _NoMatplotlib(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    NAMES = ("matplotlib", "matplotlib.pyplot")
    IMPORTER = "mediapipe.tasks.python.vision.drawing_utils"

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.NAMES or not self._from_mediapipe():
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=fullname == "matplotlib")

    def _from_mediapipe(self) -> bool:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_globals.get("__name__") == self.IMPORTER:
                return True
            frame = frame.f_back
        return False

    def create_module(self, spec):
        module = types.ModuleType(spec.name)

        def missing(name):
            if name.startswith("__"):
                raise AttributeError(name)
            raise AttributeError(f"{spec.name}.{name}: matplotlib is not included in the blurkit bundle")

        module.__getattr__ = missing
        return module

    def exec_module(self, module):
        pass


_bundled_ffmpeg()
_restore_library_path()
try:
    import matplotlib  # noqa: F401  (present only if a build chose to include it)
except ImportError:
    sys.meta_path.insert(0, _NoMatplotlib())
