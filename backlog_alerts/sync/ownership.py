"""A run's topics checked against its alert state before anything changes: whose they are, and whether
the state is behind what they heard (see `sync.marks`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backlog_alerts.state.ledger import known_message_ids
from backlog_alerts.state.store import StateStore
from backlog_alerts.sync.marks import Mark, behind, behind_error, check_owner, read_marks
from backlog_alerts.sync.topics import existing_topic_arns

PARAMS_HINT = "--params <params file>"


def hint(params_file: str) -> str:
    """How a recovery command names the params file (a placeholder when a notebook runs by hand)."""
    return f"--params {params_file}" if params_file else PARAMS_HINT


def guard_names(
    sns: Any, names: Mapping[str, str], store: StateStore, params_file: str = ""
) -> dict[str, Mark]:
    """Topic setup: the marks of the topics that exist among `names`; another deployment's refused."""
    arns = existing_topic_arns(sns)
    marks = read_marks(sns, {n: arns[n] for n in names.values() if n in arns})
    check_owner(marks, store.state.deployment, store.uri, hint(params_file))
    return marks


def guard_topics(
    sns: Any, arns: Mapping[str, str], store: StateStore, params_file: str = "", *, sending: bool
) -> dict[str, Mark]:
    """The sync and the alert check: the topics (name -> ARN) are this deployment's, and, before
    sending, the state knows the last alert each heard. Returns their marks."""
    marks = read_marks(sns, arns)
    check_owner(marks, store.state.deployment, store.uri, hint(params_file))
    late = behind(marks, known_message_ids(store.state), store.state.latest_period) if sending else []
    if late:
        raise behind_error(late, store.uri, hint(params_file), known_message_ids(store.state))
    return marks
