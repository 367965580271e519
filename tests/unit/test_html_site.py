"""The report's site: written only inside --to, every page with our Content-Security-Policy."""

import pytest
from helpers import hand_built_run
from inert_html import active_content, has_csp

from backlog_alerts.trail.html import OutsideSite, site_file
from backlog_alerts.trail.run_page import run_page
from backlog_alerts.trail.site_page import page


@pytest.mark.parametrize(
    "parts", [("..", "x.html"), ("../../x.ipynb",), ("/etc/passwd",), ("a", "..", "..", "b"), ()]
)
def test_no_page_goes_outside_the_site(tmp_path, parts):
    with pytest.raises(OutsideSite, match="outside"):
        site_file(tmp_path / "site", *parts)


def test_a_link_inside_the_site_to_elsewhere_is_not_followed(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "20261128T110713.084847Z").symlink_to(tmp_path)
    with pytest.raises(OutsideSite):
        site_file(tmp_path / "site", "20261128T110713.084847Z", "index.html")
    assert (
        site_file(tmp_path / "site", "x", "index.html") == (tmp_path / "site" / "x" / "index.html").resolve()
    )


def test_our_pages_say_no_script_runs_and_escape_what_the_trail_says():
    run = hand_built_run()
    run["manifest"]["host"] = '<img src=x onerror="alert(1)">'
    run["manifest"]["params_file"] = "<script>alert(1)</script>\u202e.yaml"
    run["not_read"] = ["not read: 20261128T110713.084847Z/../../x.ipynb: not a notebook this package writes"]
    html = run_page(run, ["03_alert_check.html"])
    assert has_csp(html) and active_content(html, depth=1) == []
    assert "&lt;script&gt;" in html and "\u202e" not in html and "&lt;U+202E&gt;" in html
    assert "not a notebook this package writes" in html
    assert has_csp(page("t", "<p>x</p>")) and active_content(page("t", "<p>x</p>")) == []


def test_a_page_links_the_site_s_one_stylesheet_and_inlines_no_style():
    assert '<link rel="stylesheet" href="style.css">' in page("t", "x")
    assert '<link rel="stylesheet" href="../style.css">' in run_page(hand_built_run(), [])
    assert "<style" not in page("t", "x") and "<style" not in run_page(hand_built_run(), [])


@pytest.mark.parametrize(
    "link",
    [
        '<link rel="stylesheet" href="https://cdn.example/x.css">',
        '<link rel="stylesheet" href="//cdn.example/x.css">',
        '<link rel="stylesheet" href="/etc/style.css">',
        '<link rel="stylesheet" href="../../style.css">',  # above the site, from a run's page
        '<link rel="stylesheet" href="style.css?x=1">',
        '<link rel="stylesheet" href="file:///tmp/x.css">',
        '<link rel="stylesheet" href="style.css" onload="alert(1)">',
        '<link rel="stylesheet" href="data:text/css,body{}">',
        '<link rel="preload" href="style.css">',
        '<link rel="icon" href="favicon.css">',
        '<link href="style.css">',
    ],
)
def test_no_link_but_the_site_s_own_stylesheet_counts_as_inert(link):
    assert active_content(link, depth=1) != []
    assert active_content('<link rel="stylesheet" href="../style.css">', depth=1) == []
    assert active_content('<link rel="stylesheet" href="../style.css">', depth=0) != []
