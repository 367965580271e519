"""boto3 clients as the runner configures them: botocore's retry mode and attempts, from the environment."""

import pytest

from backlog_alerts.io import aws


def test_clients_take_botocores_retry_mode_from_the_runner(monkeypatch):
    # Credentials in the environment: otherwise making a client asks the EC2 metadata service for some.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    assert aws.client("sns", "us-east-1").meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
    for name, value in aws.retry_environ("adaptive", 9).items():
        monkeypatch.setenv(name, value)
    assert aws.client("sns", "us-east-1").meta.config.retries == {"mode": "adaptive", "total_max_attempts": 9}
    with pytest.raises(ValueError, match="aws_retry_mode must be one of standard, adaptive, not 'eager'"):
        aws.retry_environ("eager", 3)
    with pytest.raises(ValueError, match="aws_max_attempts must be a whole number >= 1, not 0"):
        aws.retry_environ("standard", 0)


def test_the_emulator_is_called_one_at_a_time_unpaced_and_real_aws_by_eight_paced_workers():
    assert aws.call_policy("local") == aws.CallPolicy(workers=1, paced=False)
    assert aws.call_policy("aws") == aws.CallPolicy(workers=8, paced=True)
    assert set(aws.CALL_POLICIES) == set(aws.TARGETS)
