import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from backlog_alerts.trail.executed import first_error, read_facts
from backlog_alerts.trail.facts import FACTS_MIME


def notebook_with(outputs, path):
    notebook = new_notebook(cells=[new_code_cell("x", outputs=outputs)])
    nbformat.write(notebook, str(path))
    return path


def test_facts_are_read_back_by_key_and_later_records_win(tmp_path):
    outputs = [
        new_output("display_data", data={FACTS_MIME: {"key": "topics", "value": [1]}, "text/plain": "t"}),
        new_output("display_data", data={"text/plain": "unrelated"}),
        new_output("display_data", data={FACTS_MIME: {"key": "topics", "value": [2]}, "text/plain": "t"}),
    ]
    assert read_facts(notebook_with(outputs, tmp_path / "n.ipynb")) == {"topics": [2]}


def test_first_error_gives_name_and_message(tmp_path):
    outputs = [new_output("error", ename="SourceError", evalue="r.csv: no such object", traceback=[])]
    assert first_error(notebook_with(outputs, tmp_path / "n.ipynb")) == "SourceError: r.csv: no such object"
    assert first_error(notebook_with([], tmp_path / "ok.ipynb")) is None
