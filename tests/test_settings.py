"""Settings are read once, checked, and refused in one clear line; workers get what was checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from gql.server.app import LAUNCH_VARIABLE, launch_environment, launched_app
from gql.server.cli import main
from gql.server.settings import GatewaySettings, SettingsError
from local_backend.settings import BackendSettings
from tests.conftest import Api
from tests.gateway import Gateway


def test_every_variable_reaches_its_setting(tmp_path: Path) -> None:
    settings = GatewaySettings.from_env(
        {
            "FLASHBACK_GQL_HOST": "0.0.0.0",
            "FLASHBACK_GQL_PORT": "9000",
            "FLASHBACK_GQL_WORKERS": "3",
            "FLASHBACK_API_URL": "https://api.example",
            "FLASHBACK_API_TOKEN": "service-secret",
            "FLASHBACK_API_TIMEOUT": "2.5",
            "FLASHBACK_UPSTREAM_CONCURRENCY": "4",
            "FLASHBACK_REPORT_UPSTREAM": "yes",
            "FLASHBACK_ENTITY_BATCHING": "never",
            "FLASHBACK_FEDERATION_TRACING": "1",
            "FLASHBACK_GRAPHIQL_DIR": str(tmp_path),
            "FLASHBACK_CORS_ORIGINS": "https://app.example",
            "FLASHBACK_APQ": "off",
            "FLASHBACK_APQ_CACHE_SIZE": "20",
            "FLASHBACK_DOCUMENT_CACHE_SIZE": "30",
            "FLASHBACK_TRUSTED_DOCUMENTS_ONLY": "true",
            "UNRELATED": "ignored",
        }
    )
    assert (settings.host, settings.port, settings.workers) == ("0.0.0.0", 9000, 3)
    assert (settings.api_url, settings.service_token) == ("https://api.example", "service-secret")
    assert (settings.timeout_seconds, settings.concurrency) == (2.5, 4)
    assert settings.report_upstream and settings.federation_tracing and settings.trusted_documents_only
    assert settings.entity_batching == "never" and settings.graphiql_folder == tmp_path
    assert settings.allowed_origins() == ["https://app.example"]
    assert (settings.apq, settings.apq_cache_size, settings.document_cache_size) == (False, 20, 30)
    assert "service-secret" not in repr(settings)


def test_defaults_and_empty_variables() -> None:
    defaults = GatewaySettings.from_env({"FLASHBACK_API_URL": "", "FLASHBACK_UPSTREAM_CONCURRENCY": " "})
    assert defaults == GatewaySettings()
    assert (defaults.port, defaults.concurrency, defaults.timeout_seconds) == (8000, 8, 15.0)
    assert defaults.api_url is None and defaults.entity_batching == "auto"


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("FLASHBACK_UPSTREAM_CONCURRENCY", "0", "1 to 256"),
        ("FLASHBACK_UPSTREAM_CONCURRENCY", "257", "1 to 256"),
        ("FLASHBACK_API_TIMEOUT", "0", "more than 0 to 300"),
        ("FLASHBACK_API_TIMEOUT", "soon", "more than 0 to 300"),
        ("FLASHBACK_GQL_PORT", "70000", "0 to 65535"),
        ("FLASHBACK_GQL_WORKERS", "0", "1 to 64"),
        ("FLASHBACK_ENTITY_BATCHING", "sometimes", "auto, never or always"),
        ("FLASHBACK_REPORT_UPSTREAM", "maybe", "1, true, yes or on; 0, false, no or off"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable_and_what_it_takes(
    variable: str, value: str, allowed: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        GatewaySettings.from_env({variable: value})
    line = str(refused.value)
    assert "\n" not in line
    assert line.startswith(f"{variable}={value!r} is not valid")
    assert line.endswith(f"allowed: {allowed}")


def test_the_command_exits_2_with_that_line_and_no_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLASHBACK_UPSTREAM_CONCURRENCY", "0")
    assert main(["serve", "--no-graphiql-install"]) == 2
    err = capsys.readouterr().err
    assert (
        err.strip()
        .splitlines()[-1]
        .startswith("flashback-gql: FLASHBACK_UPSTREAM_CONCURRENCY='0' is not valid")
    )
    assert "Traceback" not in err
    assert main(["install-graphiql"]) == 2


def test_an_unrelated_bad_variable_does_not_break_export_schema(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLASHBACK_ENTITY_BATCHING", "sometimes")
    assert main(["export-schema"]) == 0
    assert "type Query" in capsys.readouterr().out


def test_workers_build_the_app_from_the_settings_the_command_checked(tmp_path: Path) -> None:
    settings = GatewaySettings(entity_batching="always", concurrency=3, graphiql_folder=tmp_path)
    backend = BackendSettings.from_env({}, db_path=str(tmp_path / "x.sqlite3"), now="2026-11-20T15:07:00Z")
    environment = launch_environment(settings, backend)
    assert list(environment) == [LAUNCH_VARIABLE]
    app = launched_app(environment)
    assert app.state.settings == settings


def test_a_worker_serves_from_the_local_backend_the_command_checked(
    settings: BackendSettings, api: Api
) -> None:
    """No transport and no API URL: the worker runs that backend in-process, with those settings."""
    client = Gateway(launched_app(launch_environment(GatewaySettings(response_cache=False), settings)))
    try:
        totals = client.ok("{ stats(window: LAST_7D) { ai { timeSeries { summary { total } } } } }")
    finally:
        client.close()
    rest = api.ok("/v2/stats/ai", scope="org", window="7d")
    assert totals["stats"]["ai"]["timeSeries"]["summary"]["total"] == rest["summary"]["total"]


def test_the_configuration_reference_lists_every_setting_as_the_code_has_it() -> None:
    from gql.server.settings_reference import reference_table
    from tests.conftest import ROOT

    assert reference_table() in (ROOT / "docs" / "configuration.md").read_text()
    assert reference_table().count("\n") == len(GatewaySettings.model_fields) + 2


def test_the_line_gives_the_reason_in_lower_case_between_value_and_range() -> None:
    with pytest.raises(SettingsError) as refused:
        GatewaySettings.from_env({"FLASHBACK_UPSTREAM_CONCURRENCY": "0"})
    assert str(refused.value) == (
        "FLASHBACK_UPSTREAM_CONCURRENCY='0' is not valid (input should be greater than or equal to 1);"
        " allowed: 1 to 256"
    )
