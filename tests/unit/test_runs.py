"""Run ids and run folders: sortable, unique, in start order."""

from datetime import UTC, datetime

from backlog_alerts.trail.runs import create_run_folder, new_run_id


def test_run_id_is_a_sortable_utc_timestamp():
    run_id = new_run_id(datetime(2026, 2, 3, 4, 5, 6, 7, tzinfo=UTC))
    assert run_id == "20260203T040506.000007Z"
    assert new_run_id(datetime(2026, 2, 3, 4, 5, 6, 8, tzinfo=UTC)) > run_id


def test_run_folders_are_unique_and_in_start_order_even_within_a_second(tmp_path):
    ids = [create_run_folder(str(tmp_path))[0] for _ in range(200)]
    assert len(set(ids)) == 200
    assert ids == sorted(ids)
    assert sorted(p.name for p in tmp_path.iterdir()) == ids
