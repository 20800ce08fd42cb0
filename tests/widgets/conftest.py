from tests.smtp_server import smtp_outbox  # noqa: F401 (a fixture)
from tests.widgets.fixtures import clean_hours  # noqa: F401 (a fixture)
