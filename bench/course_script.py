"""The job as the classic course solution writes it, in one straight-line script: the yardstick of
bench/run_overhead.py. No validation, no trail, no alert state: topics, subscribe every row, read the
report, publish over the thresholds.

Usage: python bench/course_script.py CONTACTS_URI REPORT_URI (s3:// URIs; AWS from the environment)
"""

from __future__ import annotations

import io
import sys

import boto3
import pandas as pd

THRESHOLDS = {"Pothole": ("streets", 100), "Illegal Dumping": ("trash", 30)}


def read_csv(s3: object, uri: str, **options: object) -> pd.DataFrame:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()  # type: ignore[attr-defined]
    return pd.read_csv(io.BytesIO(body), **options)


def main(contacts_uri: str, report_uri: str) -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    s3 = boto3.client("s3", region_name="us-east-1")
    arns = {dept: sns.create_topic(Name=f"{dept}_notifications")["TopicArn"] for dept in ("trash", "streets")}
    for row in read_csv(s3, contacts_uri, dtype=str).itertuples():  # str: phones keep their "+"
        sns.subscribe(TopicArn=arns[row.Department], Protocol="email", Endpoint=row.Email)
        sns.subscribe(TopicArn=arns[row.Department], Protocol="sms", Endpoint=row.Phone)
    counts = read_csv(s3, report_uri).set_index("service_name")["count"]
    for service, (dept, threshold) in THRESHOLDS.items():
        if counts.get(service, 0) > threshold:
            sns.publish(
                TopicArn=arns[dept],
                Subject=f"{service} backlog over {threshold}",
                Message=f"{service} has {counts[service]} open requests.",
            )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
