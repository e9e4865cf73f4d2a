"""The deployment files of deploy/, checked offline: the instance config against Dagster's
own schema, the Helm values against the official chart's values schema (the keys these
values use), the Dockerfile against the repository, and the three kept in agreement."""

import re
from pathlib import Path

import dagster as dg
import pytest
import yaml

from tokopt_pipeline.defs.store_steps import STORE_POOL

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
PG_ENV = {"DAGSTER_PG_HOST": "db.internal", "DAGSTER_PG_PORT": "5432", "DAGSTER_PG_USER": "dagster",
          "DAGSTER_PG_PASSWORD": "secret", "DAGSTER_PG_DB": "dagster"}

# The keys of the `dagster` chart's values (helm/dagster/schema in Dagster's repository:
# DagsterHelmValues and its subschemas) that deploy/helm/values.yaml may use. A path ends
# in "*" where the chart takes any mapping there (Kubernetes objects, env lists).
CHART_KEYS = {
    "global.postgresqlSecretName", "global.dagsterHome", "global.serviceAccountName",
    "dagsterWebserver.replicaCount", "dagsterWebserver.image.*", "dagsterWebserver.env.*",
    "dagster-user-deployments.enabled", "dagster-user-deployments.enableSubchart",
    "dagster-user-deployments.imagePullSecrets.*",
    "dagster-user-deployments.deployments[].name", "dagster-user-deployments.deployments[].image.repository",
    "dagster-user-deployments.deployments[].image.tag", "dagster-user-deployments.deployments[].image.pullPolicy",
    "dagster-user-deployments.deployments[].port", "dagster-user-deployments.deployments[].dagsterApiGrpcArgs.*",
    "dagster-user-deployments.deployments[].codeServerArgs.*",
    "dagster-user-deployments.deployments[].includeConfigInLaunchedRuns.enabled",
    "dagster-user-deployments.deployments[].env.*", "dagster-user-deployments.deployments[].envConfigMaps.*",
    "dagster-user-deployments.deployments[].envSecrets.*", "dagster-user-deployments.deployments[].resources.*",
    "dagster-user-deployments.deployments[].labels.*", "dagster-user-deployments.deployments[].nodeSelector.*",
    "runLauncher.type",
    *(f"runLauncher.config.k8sRunLauncher.{k}" for k in (
        "image.*", "imagePullPolicy", "jobNamespace", "loadInclusterConfig", "kubeconfigFile", "envConfigMaps.*",
        "envSecrets.*", "envVars.*", "volumeMounts.*", "volumes.*", "labels.*", "failPodOnRunFailure", "resources.*",
        "schedulerName", "securityContext.*", "runK8sConfig.containerConfig.*", "runK8sConfig.podSpecConfig.*",
        "runK8sConfig.podTemplateSpecMetadata.*", "runK8sConfig.jobSpecConfig.*", "runK8sConfig.jobMetadata.*")),
    "generatePostgresqlPasswordSecret",
    *(f"postgresql.{k}" for k in ("postgresqlScheme", "image.*", "enabled", "postgresqlHost", "postgresqlUsername",
                                  "postgresqlPassword", "postgresqlDatabase", "postgresqlParams.*", "service.port")),
    "dagsterDaemon.enabled", "dagsterDaemon.runCoordinator.enabled", "dagsterDaemon.runCoordinator.type",
    "dagsterDaemon.runCoordinator.config.queuedRunCoordinator.*",
    "dagsterDaemon.runRetries.enabled", "dagsterDaemon.runRetries.maxRetries", "dagsterDaemon.runRetries.retryOnAssetOrOpFailure",
    "dagsterDaemon.runMonitoring.*", "dagsterDaemon.env.*", "dagsterDaemon.envSecrets.*", "dagsterDaemon.resources.*",
    "concurrency.enabled", "concurrency.pools.defaultLimit", "concurrency.pools.granularity",
    "concurrency.pools.opGranularityRunBuffer", "concurrency.runs.maxConcurrentRuns", "concurrency.runs.tagConcurrencyLimits.*",
    "telemetry.enabled",
}


def key_paths(value, prefix: str = "") -> list[str]:
    """Every leaf's dotted path in ``value`` (list items as ``[]``)."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in key_paths(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) and not prefix.endswith(("env", "envSecrets")):
        return [p for v in value for p in key_paths(v, f"{prefix}[]")]
    return [prefix]


def allowed(path: str) -> bool:
    return path in CHART_KEYS or any(k.endswith(".*") and (path == k[:-2] or path.startswith(k[:-1])) for k in CHART_KEYS)


def resolve(config: dict) -> dict:
    """The instance config with its ``env:`` values read, as the instance reads them."""
    from dagster._config import process_config
    from dagster._config.field_utils import Shape
    from dagster._core.instance.config import dagster_instance_config_schema

    result = process_config(Shape(dagster_instance_config_schema()), config)
    assert result.success, result.errors
    return result.value


@pytest.fixture
def instance_yaml() -> dict:
    return yaml.safe_load((DEPLOY / "dagster.yaml").read_text())


@pytest.fixture
def values() -> dict:
    return yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())


def test_the_instance_config_passes_dagsters_own_schema(tmp_path, monkeypatch, instance_yaml):
    from dagster._core.instance.config import dagster_instance_config

    for name, value in PG_ENV.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "dagster.yaml").write_text((DEPLOY / "dagster.yaml").read_text())
    config, _ = dagster_instance_config(str(tmp_path))  # raises on any key or value the schema refuses
    resolved = resolve(config)
    db = resolved["storage"]["postgres"]["postgres_db"]
    # psycopg2 named, since SQLAlchemy 2.1 defaults postgresql:// to psycopg 3, which is not installed.
    assert db["scheme"] == "postgresql+psycopg2" and db["hostname"] == "db.internal" and db["port"] == 5432
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 4
    assert config["concurrency"]["pools"]["default_limit"] >= 4, "the Postgres store's steps would be serialized"
    assert config["run_retries"] == {"enabled": True, "max_retries": 2, "retry_on_asset_or_op_failure": False}
    assert config["run_monitoring"]["enabled"] is True
    from dagster_postgres.utils import pg_url_from_config

    assert pg_url_from_config(resolved["storage"]["postgres"]).startswith("postgresql+psycopg2://dagster:secret@db.internal:5432/dagster")


def test_a_misspelt_key_in_the_instance_config_is_refused(tmp_path, monkeypatch, instance_yaml):
    """The schema check above can fail: a key under the wrong section is an error."""
    from dagster._core.instance.config import dagster_instance_config

    for name, value in PG_ENV.items():
        monkeypatch.setenv(name, value)
    instance_yaml["run_coordinator"]["config"] = {"max_concurrent_runs": 4}  # the pre-1.10 place
    instance_yaml["concurrency"]["max_concurrent_runs"] = 4
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(instance_yaml))
    with pytest.raises(dg.DagsterInvalidConfigError, match="max_concurrent_runs"):
        dagster_instance_config(str(tmp_path))


def test_the_store_pool_is_one_writer_on_the_duckdb_instance_and_one_per_run_in_the_deployment(instance_yaml):
    config = yaml.safe_load((REPO / "dagster_home" / "dagster.yaml").read_text())
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert instance_yaml["concurrency"]["pools"]["default_limit"] == instance_yaml["concurrency"]["runs"]["max_concurrent_runs"] == 4
    assert STORE_POOL in (REPO / "deploy" / "README.md").read_text()  # how to hold it at 1 with the DuckDB file


def test_the_helm_values_use_only_the_charts_keys(values):
    unknown = [p for p in key_paths(values) if not allowed(p)]
    assert unknown == [], f"not in the dagster chart's values schema: {unknown}"
    assert not allowed("dagsterDaemon.runCoordinator.maxConcurrentRuns")  # the check can fail


def test_the_helm_values_launch_runs_on_kubernetes_like_the_instance_config(values, instance_yaml):
    assert values["runLauncher"]["type"] == "K8sRunLauncher" and "k8sRunLauncher" in values["runLauncher"]["config"]
    coordinator = values["dagsterDaemon"]["runCoordinator"]
    assert (coordinator["enabled"], coordinator["type"]) == (True, "QueuedRunCoordinator")
    queued = coordinator["config"]["queuedRunCoordinator"]
    assert (queued["dequeueUseThreads"], queued["dequeueNumWorkers"]) == (
        instance_yaml["run_coordinator"]["config"]["dequeue_use_threads"], instance_yaml["run_coordinator"]["config"]["dequeue_num_workers"])
    assert values["postgresql"]["postgresqlScheme"] == instance_yaml["storage"]["postgres"]["postgres_db"]["scheme"]
    assert values["concurrency"]["runs"]["maxConcurrentRuns"] == instance_yaml["concurrency"]["runs"]["max_concurrent_runs"]
    assert values["concurrency"]["pools"]["defaultLimit"] == instance_yaml["concurrency"]["pools"]["default_limit"]
    retries = values["dagsterDaemon"]["runRetries"]
    assert (retries["enabled"], retries["maxRetries"], retries["retryOnAssetOrOpFailure"]) == (
        True, instance_yaml["run_retries"]["max_retries"], False)
    (code,) = values["dagster-user-deployments"]["deployments"]
    assert code["codeServerArgs"] == ["-m", "tokopt_pipeline.definitions"]
    env = {e["name"]: e["value"] for e in code["env"]}
    assert env["TOKOPT_EXECUTOR"] in ("in_process", "multiprocess", "k8s")


def test_the_dockerfile_copies_what_exists_and_installs_from_the_lock():
    text = (DEPLOY / "Dockerfile").read_text()
    for line in re.findall(r"^COPY (.+)$", text, flags=re.M):
        *sources, _dest = line.split()
        for src in sources:
            assert (REPO / src).exists(), f"deploy/Dockerfile copies {src}, which is not in the repository"
    assert "--constraint requirements.lock" in text and '".[deploy]"' in text
    lock = (REPO / "requirements.lock").read_text().splitlines()
    assert "dagster-postgres==0.29.27" in lock and any(re.fullmatch(r"psycopg2-binary==[\d.]+", l) for l in lock)
    module = re.search(r'"-m", "([\w.]+)"', text).group(1)
    assert module == "tokopt_pipeline.definitions"
    port = re.search(r'"-p", "(\d+)"', text).group(1)
    (entry,) = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())["load_from"]
    assert entry["grpc_server"]["port"] == int(port) and entry["grpc_server"]["location_name"] == "tokopt"
