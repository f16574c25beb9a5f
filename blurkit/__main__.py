from blurkit.cli import main

raise SystemExit(main())
