"""Run the verifier as `python -m yingdu.tlog`."""

from yingdu.tlog.cli import main

raise SystemExit(main())
