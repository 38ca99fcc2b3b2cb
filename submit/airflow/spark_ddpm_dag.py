"""spark-ddpm on a schedule: check MNIST -> TrainJob -> SampleJob -> EvaluateJob.

Configuration, none of it hard-coded here:
  Connection  spark_ddpm      (type "spark"): host = the master (local[*], spark://host:7077,
                              yarn, k8s://...), extra {"deploy-mode": "client", "spark-binary": "spark-submit"}
  Variables   ddpm_project    folder of this project (scripts, jar, conf)
              ddpm_data       MNIST path given to TrainJob (any Hadoop path)
              ddpm_output     root of the outputs; each run writes <root>/<ds>/{train,samples,evaluation};
                              the evaluation classifier is trained once into <root>/classifier
              ddpm_spark_conf JSON object of Spark confs (default {})
              ddpm_train_args JSON list of extra TrainJob options (default [])
              ddpm_sample_args JSON list of extra SampleJob options (default ["--steps", "50"])
              ddpm_evaluate   "false" to leave out the EvaluateJob task (default "true")
              ddpm_max_fid    the run fails when the samples' FID is above this (default: no limit)
              ddpm_evaluate_args JSON list of extra EvaluateJob options (default [])
              ddpm_retries    retries per task (default 2), ddpm_retry_delay_minutes (default 5)
              ddpm_mlflow_experiment  MLflow experiment of all three jobs (default spark-ddpm); one
                              DAG run is one training run with its sampling and evaluation runs
                              as children
              ddpm_mlflow_uri MLflow tracking server (default: the jobs' MLFLOW_TRACKING_URI, if any)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Variable

CONN_ID = "spark_ddpm"
RUN_DIR = "{{ var.value.ddpm_output }}/{{ ds }}"
JAR = "{{ var.value.ddpm_project }}/target/spark-ddpm.jar"
NATIVE_JAR = "{{ var.value.ddpm_project }}/target/lib/pytorch-native-cpu-linux-x86_64.jar"


def _tracking_args() -> list[str]:
    # The same experiment for train, sample and evaluate; the URI only when the Variable is set, so
    # that a MLFLOW_TRACKING_URI in the workers' environment still applies.
    uri = Variable.get("ddpm_mlflow_uri", default="")
    return [
        "--mlflow-experiment", "{{ var.value.get('ddpm_mlflow_experiment', 'spark-ddpm') }}",
        *(["--mlflow-uri", uri] if uri else []),
    ]


def _json_variable(name: str, default):
    # Read at parse time: the confs and the argument lists shape the operators themselves.
    return Variable.get(name, default=default, deserialize_json=True)


with DAG(
    dag_id="spark_ddpm",
    description="Train a DDPM on MNIST with Spark, sample from it, and score the samples",
    schedule="@weekly",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={
        "retries": int(Variable.get("ddpm_retries", default="2")),
        "retry_delay": timedelta(minutes=float(Variable.get("ddpm_retry_delay_minutes", default="5"))),
    },
    tags=["spark-ddpm"],
) as dag:
    spark_conf = _json_variable("ddpm_spark_conf", {})

    check_data = BashOperator(
        task_id="check_data",
        bash_command=(
            "if [[ '{{ var.value.ddpm_data }}' == /* && -d '{{ var.value.ddpm_data }}' ]] || "
            "[[ '{{ var.value.ddpm_data }}' != *://* ]]; then "
            "'{{ var.value.ddpm_project }}/submit/fetch-mnist.sh' --dest '{{ var.value.ddpm_data }}'; "
            "else echo 'remote data path, checked by TrainJob: {{ var.value.ddpm_data }}'; fi"
        ),
    )

    train = SparkSubmitOperator(
        task_id="train",
        conn_id=CONN_ID,
        application=JAR,
        java_class="TrainJob",
        jars=NATIVE_JAR,
        conf=spark_conf,
        name="spark-ddpm-train-{{ ds }}",
        application_args=[
            "--data", "{{ var.value.ddpm_data }}",
            "--output", RUN_DIR + "/train",
            "--auto-resume",  # a retried task continues from its last checkpoint (and MLflow run)
            *_tracking_args(),
            *_json_variable("ddpm_train_args", []),
        ],
    )

    sample = SparkSubmitOperator(
        task_id="sample",
        conn_id=CONN_ID,
        application=JAR,
        java_class="SampleJob",
        jars=NATIVE_JAR,
        conf=spark_conf,
        name="spark-ddpm-sample-{{ ds }}",
        application_args=[
            "--model", RUN_DIR + "/train/final",
            "--output", RUN_DIR + "/samples",
            "--overwrite",
            *_tracking_args(),
            *_json_variable("ddpm_sample_args", ["--steps", "50"]),
        ],
    )

    check_data >> train >> sample

    if Variable.get("ddpm_evaluate", default="true") != "false":
        max_fid = Variable.get("ddpm_max_fid", default="")
        evaluate = SparkSubmitOperator(
            task_id="evaluate",
            conn_id=CONN_ID,
            application=JAR,
            java_class="EvaluateJob",
            jars=NATIVE_JAR,
            conf=spark_conf,
            name="spark-ddpm-evaluate-{{ ds }}",
            # EvaluateJob exits 1 after writing metrics.json when FID > --max-fid; a retry would
            # only repeat that verdict, and Spark already retries failed tasks.
            retries=0,
            application_args=[
                "--samples", RUN_DIR + "/samples",
                "--data", "{{ var.value.ddpm_data }}",
                "--output", RUN_DIR + "/evaluation",
                "--classifier", "{{ var.value.ddpm_output }}/classifier",  # trained once, reused
                "--overwrite",
                *(["--max-fid", max_fid] if max_fid else []),
                *_tracking_args(),
                *_json_variable("ddpm_evaluate_args", []),
            ],
        )
        sample >> evaluate
