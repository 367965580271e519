"""Allow `python -m backlog_alerts ...` as an alias of the console script."""

from backlog_alerts.run.entry import main

raise SystemExit(main())
