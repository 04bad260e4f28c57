"""Importing a package fills no mail registry (issue 15: no wiring by import side effect); the composition root
installs what the packages declare, once, however often it is asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from podium.mail import MailTemplate, install_into, install_templates
from podium.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

# Runs in a fresh interpreter: this test process has long had everything installed (tests/conftest.py).
SCRIPT = textwrap.dedent(
    """
    import importlib, json, pkgutil, secrets, sys, tempfile
    from pathlib import Path

    modules = []
    for package in ("podium", "events", "registration", "sessions", "abstracts", "badges"):
        path = importlib.import_module(package).__path__
        for found in pkgutil.walk_packages(path, f"{package}."):
            if not found.name.startswith("podium.main"):  # the composition root, imported below on its own
                modules.append(importlib.import_module(found.name))

    from podium.jobs.outbox_drain import ATTACHMENT_RENDERERS, STILL_TRUE
    from podium.mail import TEMPLATES
    from registration.mail.attachments import LINK_MAKERS

    def registries():
        return [sorted(TEMPLATES), sorted(STILL_TRUE), sorted(ATTACHMENT_RENDERERS), sorted(LINK_MAKERS)]

    declared = [{}, {}, {}, {}]
    for module in modules:
        parts = [
            {t.name: t for t in getattr(module, "MAIL_TEMPLATES", ())},
            getattr(module, "STILL_TRUE_CHECKS", {}),
            getattr(module, "MAIL_ATTACHMENTS", {}),
            getattr(module, "LINK_MAKERS", {}),
        ]
        for found, part in zip(declared, parts):
            for name, entry in part.items():
                assert found.setdefault(name, entry) is entry, f"{name} declared twice, differently"
    after_importing_the_packages = registries()

    from badges.mail_attachments import badge_attachments
    from podium.main import app
    from podium.settings import Settings

    after_importing_the_root = registries()
    data = Path(tempfile.mkdtemp())
    settings = Settings(database_url=f"sqlite+aiosqlite:///{data}/podium.db", secret_key=secrets.token_urlsafe(48),
                        environment="test", data_dir=data, web_runs_jobs=False)
    app.create_app(settings)
    app.create_app(settings)  # a second app in the same process installs nothing new

    declared[2]["badge"] = badge_attachments  # badges declares no registry entry; the root names its renderer
    installed = [TEMPLATES, STILL_TRUE, ATTACHMENT_RENDERERS, LINK_MAKERS]
    print(json.dumps({
        "after_importing_the_packages": after_importing_the_packages,
        "after_importing_the_root": after_importing_the_root,
        "declared": [sorted(d) for d in declared],
        "installed": registries(),
        "same_objects": [all(r[name] is entry for name, entry in d.items()) for r, d in zip(installed, declared)],
    }))
    """
)


def test_importing_every_package_fills_no_registry_and_create_app_installs_what_they_declare() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=False)

    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["after_importing_the_packages"] == [[], [], [], []]
    assert seen["after_importing_the_root"] == [[], [], [], []]
    assert seen["installed"] == seen["declared"]
    assert seen["same_objects"] == [True, True, True, True]
    templates, checks, attachments, links = seen["installed"]
    some = {"login_guard", "sign_in", "session_changed", "order_held", "offer_reminder", "abstract_coauthor_listed"}
    assert some | {
        "abstract_rejected",
        "letter_issued",
        "letter_rejected",
        "letter_revoked",
        "review_invitation",
    } <= set(templates)
    assert len(templates) == 36
    assert checks == [
        "bank_transfer_chosen",
        "group_invoice_changed",
        "hold_expired",
        "hold_reminder",
        "offer_reminder",
        "order_held",
        "waitlist_offer",
    ]
    assert attachments == ["badge", "bank_invoice", "group_invoice", "receipt"]
    assert links == ["presenting"]


def test_podium_jobs_run_installs_the_mail_registries_before_running_jobs(settings: Settings, tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import json
        from click.testing import CliRunner
        from podium.jobs.outbox_drain import ATTACHMENT_RENDERERS, STILL_TRUE
        from podium.mail import TEMPLATES
        from podium.main.job_commands import jobs_run_command

        before = [len(TEMPLATES), len(STILL_TRUE), len(ATTACHMENT_RENDERERS)]
        result = CliRunner().invoke(jobs_run_command, [], catch_exceptions=False)
        print(json.dumps([result.exit_code, before, [len(TEMPLATES), len(STILL_TRUE), len(ATTACHMENT_RENDERERS)]]))
        """
    )
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "PODIUM_SECRET_KEY": settings.secret_key,
        "PODIUM_DATA_DIR": str(tmp_path),
        "PODIUM_ENV": "test",
    }

    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [0, [0, 0, 0], [36, 7, 4]]


def test_installing_again_changes_nothing_and_a_taken_name_is_refused() -> None:
    registry: dict[str, object] = {}
    first, other = object(), object()
    install_into(registry, {"x": first}, kind="thing")

    install_into(registry, {"x": first}, kind="thing")
    with pytest.raises(ValueError, match="thing 'x' is installed already"):
        install_into(registry, {"x": other}, kind="thing")

    assert registry == {"x": first}


def test_two_templates_declared_with_one_name_are_refused() -> None:
    twins = (MailTemplate("twin_test_template", "One"), MailTemplate("twin_test_template", "Two"))

    with pytest.raises(ValueError, match="two mail templates declared with one name"):
        install_templates(twins)
