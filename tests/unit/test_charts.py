from helpers import POTHOLE_TIERS
from matplotlib.colors import to_hex

from backlog_alerts.alerting.charts import TIER_COLOURS, counts_vs_thresholds
from backlog_alerts.alerting.evaluation import evaluate
from backlog_alerts.alerting.rules import parse_rules


def test_one_bar_per_service_coloured_by_the_tier_that_fired():
    rules = parse_rules(
        [
            *POTHOLE_TIERS,
            {"name": "g", "service_name": "Graffiti", "department": "streets", "threshold": 100},
        ],
        ["streets"],
    )
    figure = counts_vs_thresholds(evaluate(rules, {"Pothole": 214, "Graffiti": 12}, "r.csv", "error"))
    (axes,) = figure.axes
    bars = axes.patches
    assert [b.get_width() for b in bars] == [214, 12]
    assert to_hex(bars[0].get_facecolor()) == TIER_COLOURS["critical"]
    assert to_hex(bars[1].get_facecolor()) == "#95a5a6"
    assert len(axes.lines) == 3  # one threshold tick per rule
    assert [t.get_text() for t in axes.get_yticklabels()] == ["Pothole\n(streets)", "Graffiti\n(streets)"]
