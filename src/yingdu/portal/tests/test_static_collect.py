"""Static files are collected once (install), and again only when a source changed (issue 15, item 6)."""

import os

import pytest
from django.core.management import call_command

from yingdu import staticfiles


@pytest.fixture
def static_dirs(settings, tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "app.css").write_text("body { color: #111; }")
    settings.STATICFILES_DIRS = [source]
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    return source


def test_collect_runs_once_then_only_when_a_source_changes(static_dirs, settings, capsys):
    assert not staticfiles.static_is_current()
    assert staticfiles.static_collect() is True
    assert (settings.STATIC_ROOT / "app.css").read_text() == "body { color: #111; }"
    assert staticfiles.static_is_current()
    assert staticfiles.static_collect() is False  # a start with nothing changed does no work
    call_command("static_collect")
    assert "current" in capsys.readouterr().out

    changed = static_dirs / "app.css"
    changed.write_text("body { color: #222; }")
    later = (settings.STATIC_ROOT / "app.css").stat().st_mtime_ns + 10**9  # as an edit or a checkout after install
    os.utime(changed, ns=(later, later))
    assert not staticfiles.static_is_current()
    assert staticfiles.static_collect() is True
    assert (settings.STATIC_ROOT / "app.css").read_text() == "body { color: #222; }"

    (static_dirs / "new.js").write_text("1;")
    assert not staticfiles.static_is_current()  # an added file counts too
    call_command("static_collect")
    assert "collected" in capsys.readouterr().out and (settings.STATIC_ROOT / "new.js").exists()


def test_serve_does_not_collect_when_the_collected_set_is_current(static_dirs, monkeypatch):
    staticfiles.static_collect()
    calls = []
    monkeypatch.setattr("yingdu.portal.management.commands.serve.os.execv", lambda *args: calls.append(args))
    monkeypatch.setattr("django.contrib.staticfiles.management.commands.collectstatic.Command.handle",
                        lambda *a, **k: pytest.fail("collectstatic ran at start"))
    call_command("serve", bind="127.0.0.1:0", workers=1)
    assert calls and calls[0][1][1] == "yingdu.wsgi:application"
