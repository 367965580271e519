"""Allow `python -m backlog_alerts ...` as an alias of the console script."""

from backlog_alerts.run.cli import main

raise SystemExit(main())
