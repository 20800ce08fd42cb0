"""The image carries what production needs: Docker cannot run here, so the test builds the
image's /app the way the Dockerfile does (its COPY lines) and starts Django from it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def copied() -> set[str]:
    """The sources of the Dockerfile's COPY lines (relative to the build context)."""
    sources: set[str] = set()
    for line in DOCKERFILE.splitlines():
        if match := re.match(r"COPY\s+(?!--)(.+)\s+\S+$", line.strip()):
            sources.update(match.group(1).split())
    return sources


def local_packages() -> set[str]:
    """Top-level packages of ours that Django loads: every app of this repository (the demo
    included, so DEMO=1 can run from the image) and the project package."""
    ours = {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        if Path(config.path).parent == ROOT  # not the virtualenv's
    }
    return ours | {"config", "demo"}


def test_the_dockerfile_copies_every_app_the_templates_the_translations_and_the_lock():
    needed = local_packages() | {"templates", "locale", "manage.py", "requirements.lock"}
    assert needed <= copied(), f"not copied: {sorted(needed - copied())}"
    assert re.search(r"^USER app$", DOCKERFILE, re.M), "the image must not run as root"
    assert "pip install -r requirements.lock" in DOCKERFILE


@pytest.fixture(scope="module")
def image_app(tmp_path_factory) -> Path:
    """/app as the Dockerfile lays it out (COPY lines only; .pyc and caches left behind)."""
    app = tmp_path_factory.mktemp("image") / "app"
    app.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for source in copied():
        path = ROOT / source
        if path.is_dir():
            shutil.copytree(path, app / source, ignore=ignore)
        else:
            shutil.copy2(path, app / source)
    return app


def run_in(app: Path, code: str, **env: str) -> subprocess.CompletedProcess:
    """Python in the image's /app with a production environment (no DEBUG, nothing of ours)."""
    clean = {
        "PATH": os.environ["PATH"],
        "HOME": str(app),
        "PYTHONPATH": str(app),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "image-test-" + "k" * 40,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=app,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_image_serves_the_welsh_widget_and_finds_its_templates_and_static_files(image_app):
    result = run_in(
        image_app,
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.contrib.staticfiles import finders\n"
        "from django.template.loader import get_template\n"
        "from widgets.strings import widget_strings\n"
        f"assert str(settings.BASE_DIR) == {str(image_app)!r}, settings.BASE_DIR\n"
        "print(widget_strings('cy')['start'])\n"
        "get_template('console/index.html'); get_template('admin/routing/service_report.html')\n"
        "print(bool(finders.find('widgets/embed.js')), bool(finders.find('console/console.js')))\n",
    )
    assert result.returncode == 0, result.stderr
    welsh, static = result.stdout.splitlines()
    assert welsh != "Start chat" and welsh  # the compiled catalogue (locale/cy .mo) is there
    assert static == "True True"


def test_the_image_passes_the_deployment_checks_with_and_without_the_demo(image_app):
    check = "from django.core.management import call_command; import django; django.setup(); "
    check += "call_command('check', deploy=True, fail_level='WARNING')"
    assert run_in(image_app, check).returncode == 0
    demo = run_in(
        image_app,
        check + "; from django.apps import apps; print(apps.is_installed('demo'))",
        DEMO="1",
    )
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.strip().endswith("True")
