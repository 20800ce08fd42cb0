"""Our ASGI application, exactly as `config.asgi` builds it, plus counters
(`bench.instrument`) readable at `/__bench__/stats`.

    python -m daphne bench.asgi:application   (DJANGO_SETTINGS_MODULE=bench.settings)
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from bench import instrument
from config.asgi import application as councilchat

instrument.install()

application = type(councilchat)(
    {
        "http": instrument.stats_http(councilchat.application_mapping["http"]),
        "websocket": councilchat.application_mapping["websocket"],
    }
)
