"""backlog-alerts: service-request backlogs in, SNS alerts to the right directors out."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("backlog-alerts")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
