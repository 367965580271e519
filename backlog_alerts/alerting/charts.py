"""The pictures: counts against thresholds (alert check), and counts over time (backtest)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from backlog_alerts.alerting.evaluation import Decision
from backlog_alerts.alerting.rules import Rule

TIER_COLOURS = {"warning": "#e67e22", "critical": "#c0392b"}


def counts_vs_thresholds(decisions: Sequence[Decision]) -> Figure:
    """A bar per watched service (red or orange when a tier fired), a tick per rule's threshold."""
    services: dict[tuple[str, str], tuple[int, list[Decision]]] = {}
    for d in decisions:
        if d.count is not None:
            services.setdefault((d.service_name, d.department), (d.count, []))[1].append(d)
    figure, axes = plt.subplots(figsize=(8, 1.8 + 1.0 * max(len(services), 1)))
    for position, (count, tiers) in enumerate(services.values()):
        fired = [d for d in tiers if d.fired]
        top = max(fired, key=lambda d: (d.severity == "critical", d.threshold), default=None)
        colour = TIER_COLOURS[top.severity] if top else "#95a5a6"
        axes.barh(position, count, color=colour)
        axes.annotate(f" {count}", (count, position), va="center")
        for d in tiers:
            axes.plot([d.threshold] * 2, [position - 0.4, position + 0.4], color="black", linewidth=2)
            axes.annotate(
                f"{d.severity} {d.comparison} {d.threshold}",
                (d.threshold, position - 0.42),
                ha="center",
                va="bottom",
                fontsize=8,
            )
    axes.set_yticks(range(len(services)), [f"{s}\n({dept})" for s, dept in services])
    axes.invert_yaxis()
    axes.set_xlabel("open service requests in the report")
    axes.set_title("Counts against thresholds (orange: warning fired, red: critical, grey: ok)")
    figure.tight_layout()
    plt.close(figure)  # shown once, by returning it
    return figure


def counts_over_time(counts: dict[str, dict[str, int | None]], rules: Sequence[Rule]) -> Figure:
    """The backtest's picture: each watched service's count per period, with its rules' thresholds."""
    services = sorted({r.service_name for r in rules})
    periods = sorted(counts)
    figure, panels = plt.subplots(len(services), 1, figsize=(8, 2.4 * len(services)), squeeze=False)
    for axes, service in zip(panels[:, 0], services, strict=True):
        axes.plot(periods, [counts[p].get(service) for p in periods], marker="o", color="#2c3e50")
        for rule in (r for r in rules if r.service_name == service and r.threshold is not None):
            axes.axhline(rule.threshold, color=TIER_COLOURS[rule.severity], linestyle="--", linewidth=1)
            axes.annotate(
                f"{rule.name}: {rule.severity} {rule.comparison} {rule.threshold}",
                (0, rule.threshold),
                xycoords=("axes fraction", "data"),
                va="bottom",
                fontsize=8,
            )
        axes.set_title(service)
        axes.set_ylabel("open requests")
    figure.tight_layout()
    plt.close(figure)
    return figure
