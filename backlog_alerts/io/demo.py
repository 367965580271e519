"""The demo data the local emulator is seeded with, so a fresh clone has something to alert on."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from botocore.exceptions import ClientError

from backlog_alerts.io import aws, locations

DEMO_CONTACTS_URI = "s3://backlog-alerts-demo-contacts/contacts.csv"
DEMO_REPORT_URI = "s3://backlog-alerts-demo-reports/2019/feb/final_report.csv"
DEMO_STATE_URI = "s3://backlog-alerts-demo-state/alert_state.json"  # created empty: the run writes it
DEMO_REPORTS_PREFIX = "s3://backlog-alerts-demo-reports/2019/"  # the months a backtest replays
DEMO_FILES = {
    DEMO_CONTACTS_URI: "contacts.csv",
    DEMO_REPORT_URI: "final_report.csv",
    # Other months of the same year, for the backtest notebook.
    **{
        f"{DEMO_REPORTS_PREFIX}{month}/final_report.csv": f"history/2019-{number}.csv"
        for month, number in (("jan", "01"), ("mar", "03"), ("apr", "04"), ("may", "05"))
    },
}


def demo_bytes(file_name: str) -> bytes:
    """A demo file as shipped inside the package."""
    return files("backlog_alerts.io").joinpath("demo_data", file_name).read_bytes()


def _exists(call: Any, **kwargs: Any) -> bool:
    try:
        call(**kwargs)
    except ClientError as err:
        if aws.missing(err):
            return False
        raise
    return True


def seed_demo(s3: Any) -> list[str]:
    """Put the demo files in place; create buckets only if missing, never overwrite an object."""
    written = []
    for uri, file_name in [*DEMO_FILES.items(), (DEMO_STATE_URI, "")]:
        bucket, key = locations.split_s3_uri(uri)
        if not _exists(s3.head_bucket, Bucket=bucket):
            region = s3.meta.region_name
            extra = (
                {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            )
            s3.create_bucket(Bucket=bucket, **extra)
        if file_name and not _exists(s3.head_object, Bucket=bucket, Key=key):
            s3.put_object(Bucket=bucket, Key=key, Body=demo_bytes(file_name))
            written.append(uri)
    return written
