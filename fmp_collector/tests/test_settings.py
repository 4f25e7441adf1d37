"""Settings: defaults < DIR/collector.toml < environment variables."""

from __future__ import annotations

import pytest

from fmp_collector.settings import Settings, SettingsError, load_settings


def test_defaults_without_a_file_or_variables(tmp_path):
    assert load_settings(tmp_path, {}) == Settings()
    assert Settings().queue_max == 100_000 and Settings().concurrency == 64


def test_the_file_sets_and_the_environment_overrides(tmp_path):
    (tmp_path / "collector.toml").write_text(
        'queue_max = 500\nconcurrency = 8\nlog_level = "debug"\nca_bundle = "/etc/ssl/portal.pem"\n'
        "http_timeout = 5\ncommand_interval = 2.5\n"
    )
    settings = load_settings(tmp_path, {})
    assert (settings.queue_max, settings.concurrency, settings.log_level) == (500, 8, "DEBUG")
    assert settings.ca_bundle == "/etc/ssl/portal.pem" and settings.http_timeout == 5.0
    assert settings.command_interval == 2.5
    env = {
        "FMP_COLLECTOR_QUEUE_MAX": "7",
        "FMP_COLLECTOR_CONCURRENCY": "16",
        "FMP_COLLECTOR_LOG_FILE": "/tmp/c.log",
        "FMP_COLLECTOR_CA_BUNDLE": "/other.pem",
        "FMP_COLLECTOR_COMMAND_INTERVAL": "1",
        "FMP_COLLECTOR_LOG_LEVEL": "",  # empty: not set
        "FMP_COLLECTOR_SNMP_TIMEOUT": "0.5",
        "FMP_COLLECTOR_SNMP_RETRIES": "0",
    }
    settings = load_settings(tmp_path, env)
    assert (settings.queue_max, settings.concurrency, settings.log_file) == (7, 16, "/tmp/c.log")
    assert settings.ca_bundle == "/other.pem" and settings.command_interval == 1.0
    assert settings.log_level == "DEBUG"
    assert (settings.snmp_timeout, settings.snmp_retries) == (0.5, 0)


def test_a_collector_table_is_accepted(tmp_path):
    (tmp_path / "collector.toml").write_text("[collector]\nqueue_max = 9\n")
    assert load_settings(tmp_path, {}).queue_max == 9


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("queue_max = 0\n", {}, "queue_max must be a positive whole number"),
        ("queue_max = 'many'\n", {}, "queue_max must be a positive whole number"),
        ("colour = 1\n", {}, "unknown setting(s) colour"),
        ("queue_max = \n", {}, "not a readable TOML file"),
        ("", {"FMP_COLLECTOR_CONCURRENCY": "lots"}, "FMP_COLLECTOR_CONCURRENCY: concurrency must be"),
        ("", {"FMP_COLLECTOR_LOG_LEVEL": "loud"}, "log_level must be one of DEBUG, INFO, WARNING, ERROR"),
        ("", {"FMP_COLLECTOR_SNMP_RETRIES": "-1"}, "snmp_retries must be a whole number from 0 to 10"),
        ("", {"FMP_COLLECTOR_HTTP_TIMEOUT": "0"}, "http_timeout must be a number of seconds between"),
    ],
)
def test_a_bad_setting_is_refused_with_its_source(tmp_path, text, env, message):
    (tmp_path / "collector.toml").write_text(text)
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path, env)
    assert message in str(caught.value)
    if not env:
        assert "collector.toml" in str(caught.value)
