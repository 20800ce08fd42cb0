"""The lock files (make lock) hold every dependency pyproject.toml names, at a version it
accepts: a dependency added without `make lock` would be missing from the image and CI."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text()
    return {
        canonicalize_name(name): version
        for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", text, re.M)
    }


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("requirements.lock", PROJECT["dependencies"]),
        (
            "requirements-demo.lock",
            PROJECT["dependencies"] + PROJECT["optional-dependencies"]["demo"],
        ),
        (
            "requirements-dev.lock",
            PROJECT["dependencies"] + PROJECT["optional-dependencies"]["dev"],
        ),
    ],
)
def test_every_dependency_is_locked_at_a_version_pyproject_accepts(lock, requirements):
    pinned = pins(lock)
    for line in requirements:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not in {lock}: run `make lock`"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock} pins {requirement.name}=={pinned[name]}, outside {requirement.specifier}:"
            " run `make lock`"
        )


@pytest.mark.parametrize("other", ["requirements-demo.lock", "requirements-dev.lock"])
def test_the_runtime_demo_and_dev_locks_agree_on_every_shared_version(other):
    runtime, dev = pins("requirements.lock"), pins(other)
    assert {name: dev[name] for name in runtime if name in dev} == {
        name: runtime[name] for name in runtime if name in dev
    }


def test_the_demo_lock_holds_none_of_the_test_lint_or_bench_tools():
    """`make demo` installs requirements-demo.lock: what the demo runs, not what `make test`
    needs (issue 15, point 9: playwright and ruff were most of a first start)."""
    demo = pins("requirements-demo.lock")
    for tool in ("pytest", "pytest-django", "pytest-cov", "playwright", "ruff", "hypothesis"):
        assert tool not in demo, f"{tool} is in requirements-demo.lock"
    assert "playwright" in pins("requirements-dev.lock")
