"""The social fixtures (the Graph API stand-in, Alpha and Beta connected to WhatsApp), for
the tests that plant a resident through every front door (tests/privacy/planting.py)."""

from tests.social.conftest import graph, graph_server, social  # noqa: F401
