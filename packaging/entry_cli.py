"""The bundle's ``blurkit`` executable: the command line, as ``blurkit.cli:main``."""

import multiprocessing
import sys

if __name__ == "__main__":
    # -j N starts workers with the "spawn" method, which re-runs this executable; this hands them over
    multiprocessing.freeze_support()
    from blurkit.cli import main

    sys.exit(main())
