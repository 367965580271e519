"""The one picture the alert check shows: each watched count against its threshold."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from backlog_alerts.alerts import Decision


def counts_vs_thresholds(decisions: Sequence[Decision]) -> Figure:
    """Bars for counts (red when the rule fired), a tick for each threshold."""
    figure, axes = plt.subplots(figsize=(7, 1.6 + 0.8 * max(len(decisions), 1)))
    labels = [f"{d.service_name}\n({d.rule})" for d in decisions]
    positions = range(len(decisions))
    axes.barh(
        positions,
        [d.count for d in decisions],
        color=["#c0392b" if d.fired else "#7f8c8d" for d in decisions],
    )
    axes.scatter(
        [d.threshold for d in decisions],
        positions,
        marker="|",
        s=900,
        color="black",
        label="threshold",
        zorder=3,
    )
    axes.set_yticks(list(positions), labels)
    axes.invert_yaxis()
    axes.set_xlabel("open service requests in the report")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), frameon=False)
    axes.set_title("Counts against alert thresholds (red: alert fired)")
    figure.tight_layout()
    plt.close(figure)  # shown by returning it, not twice by the inline backend
    return figure
