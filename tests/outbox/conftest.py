from tests.smtp_server import smtp_outbox  # noqa: F401 (a fixture)
