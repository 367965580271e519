"""Apache Airflow: one DAG per params file, running the three notebooks with PapermillOperator.

Put this file in Airflow's dags folder and install backlog-alerts where the workers run
(`pip install /path/to/backlog-alerts apache-airflow-providers-papermill`). Settings, from the
environment of the scheduler and workers:

- BACKLOG_ALERTS_HOME: the project checkout holding notebooks/ and params/ (default: two folders up)
- BACKLOG_ALERTS_PARAMS_DIR: a folder of params files, one DAG each
  (default: $BACKLOG_ALERTS_HOME/params/airflow)
- BACKLOG_ALERTS_SCHEDULE: a cron expression for every DAG (default: 07:00 on the 2nd of each month)

One DAG run is one backlog-alerts run: `begin` checks params, inputs and the alert state against its
topics, takes the run locks (the output location's and the state's) and opens
the run folder; the three notebook tasks share its run id and write their executed copies there (a
local folder or an s3:// prefix, so `backlog-alerts audit` lists Airflow's runs with the others); `finish`
(which runs even after a failure) writes the manifest, tells the ops topic about a failure and releases
the locks. With the output location on S3 (and `state_uri` there, or left empty: beside the run
folders), workers on different machines share the alert state and the locks, so a run on one machine
never repeats an alert that another already sent.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from airflow.providers.papermill.operators.papermill import PapermillOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

from backlog_alerts.run import orchestrated
from backlog_alerts.run.plan import ALERT_CHECK, plan_run

HOME = Path(os.environ.get("BACKLOG_ALERTS_HOME", Path(__file__).resolve().parents[2]))
PARAMS_DIR = Path(os.environ.get("BACKLOG_ALERTS_PARAMS_DIR", HOME / "params" / "airflow"))
SCHEDULE = os.environ.get("BACKLOG_ALERTS_SCHEDULE", "0 7 2 * *")
# The run id format of `backlog-alerts run`, from the DAG run's own time: the same in every task.
RUN_ID = "{{ dag_run.run_after.strftime('%Y%m%dT%H%M%S.%fZ') }}"
TASKS = {
    "01_topic_setup.ipynb": "topic_setup",
    "02_subscription_sync.ipynb": "subscription_sync",
    "03_alert_check.ipynb": "alert_check",
}


def _finish(params_path: str, run_id: str) -> None:
    if orchestrated.finish(params_path, run_id).failed:
        raise RuntimeError(f"backlog-alerts run {run_id} failed; see its manifest and the ops topic")


def build_dag(params_path: Path) -> DAG:
    """The DAG for one params file: begin -> topic setup -> sync -> alert check -> finish."""
    plan = plan_run(params_path, notebooks_dir=HOME / "notebooks")
    dag_id = f"backlog_alerts_{params_path.stem}"
    with DAG(
        dag_id=dag_id,
        schedule=SCHEDULE,
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        tags=["backlog-alerts"],
        doc_md=__doc__,
    ) as dag:
        begin = PythonOperator(
            task_id="begin",
            python_callable=orchestrated.begin,
            op_kwargs={"params_path": str(plan.params_path), "run_id": RUN_ID, "owner": f"airflow:{dag_id}"},
        )
        parameters = orchestrated.notebook_parameters(plan, RUN_ID)
        notebooks = [
            PapermillOperator(
                task_id=TASKS[path.name],
                input_nb=str(path),
                output_nb=f"{plan.location}/{RUN_ID}/{path.name}",
                parameters=parameters[path.name],
                kernel_name="python3",
                execution_timeout=timedelta(seconds=plan.params.notebook_timeout),
                # The alert check runs whatever happened before it, as in `backlog-alerts run`: a sync
                # refused by its removal guard must not silence every department's alerts.
                trigger_rule="all_done" if path.name == ALERT_CHECK else "all_success",
            )
            for path in plan.paths
        ]
        finish = PythonOperator(
            task_id="finish",
            python_callable=_finish,
            op_kwargs={"params_path": str(plan.params_path), "run_id": RUN_ID},
            trigger_rule="all_done",
        )
        begin >> notebooks[0] >> notebooks[1] >> notebooks[2] >> finish
    return dag


for _params_path in sorted(PARAMS_DIR.glob("*.yaml")):
    globals()[f"backlog_alerts_{_params_path.stem}"] = build_dag(_params_path)
