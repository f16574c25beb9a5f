"""The bundle's ``blurkit-gui`` executable: the desktop app, as ``gui.app:main``.

Two extra first arguments, for the build and its tests (a user never needs them):

``--self-check``
    print, as JSON, the ffmpeg and the CenterFace runtime the bundle uses and the Qt version, and exit
    (non-zero when ffmpeg is not the bundle's own or OpenVINO is not in use);
``--render-screenshot OUT.png PHOTO... [--preview]``
    ``gui.render_screenshot``: open the photos in the main window offscreen and save it as a PNG;
``--soak zoom|slider|analysis MEDIA [...]``
    ``gui.soak``: the app soaked offscreen, many paints long (exits 0 when it survived, and painted).
"""

import json
import multiprocessing
import os
import sys


def self_check() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import __version__ as pyside_version
    from PySide6.QtWidgets import QApplication

    from blurkit.detect.centerface import CenterFace
    from blurkit.media.ffmpeg import ffmpeg_exe

    app = QApplication([])
    ffmpeg = os.path.realpath(ffmpeg_exe())
    bundle = os.path.realpath(sys._MEIPASS)
    report = {
        "ffmpeg": ffmpeg,
        "ffmpeg_in_bundle": ffmpeg.startswith(bundle + os.sep),
        "centerface_runtime": CenterFace().runtime,
        "qt": pyside_version,
        "qt_platform": app.platformName(),
    }
    if sys.stdout is not None:  # None in a windowed Windows build: the exit status says it
        print(json.dumps(report, indent=1))
    return 0 if report["ffmpeg_in_bundle"] and report["centerface_runtime"] == "openvino" else 1


if __name__ == "__main__":
    multiprocessing.freeze_support()
    if sys.argv[1:] == ["--self-check"]:
        sys.exit(self_check())
    if sys.argv[1:2] == ["--render-screenshot"]:
        del sys.argv[1]
        from gui.render_screenshot import main as render

        render()
        sys.exit(0)
    if sys.argv[1:2] == ["--soak"]:
        from gui.soak import main as soak

        sys.exit(soak(sys.argv[2:]))
    from gui.app import main

    sys.exit(main())
