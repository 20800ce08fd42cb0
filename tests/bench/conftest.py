"""The smoke test drives the same live daphne as the end-to-end tests."""

from tests.e2e.conftest import daphne_server  # noqa: F401
