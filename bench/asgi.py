"""Our ASGI application, exactly as `config.asgi` builds it, plus counters
(`bench.instrument`) readable at `/__bench__/stats`.

    python -m daphne bench.asgi:application   (DJANGO_SETTINGS_MODULE=bench.settings)
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from bench import instrument
from config.asgi import application as councilchat

instrument.install()

# config.asgi wraps its protocol router in the trusted-proxy middleware (issue 12); the
# counters go inside it, around the router's HTTP branch, so the stack is otherwise as built.
router = councilchat.app
councilchat.app = type(router)(
    {
        "http": instrument.stats_http(router.application_mapping["http"]),
        "websocket": router.application_mapping["websocket"],
    }
)
application = councilchat
