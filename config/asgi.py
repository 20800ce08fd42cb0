"""ASGI entry point: Django for HTTP, Channels for websockets, both resolving the council
from the Host header through `councils.sites`."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chat.routing import websocket_urlpatterns  # noqa: E402
from councils.middleware import WebsocketSiteMiddleware  # noqa: E402
from reliability.capacity import HttpConcurrencyLimit  # noqa: E402
from reliability.proxies import TrustedProxyMiddleware  # noqa: E402
from social.asgi import webhook_body_limit  # noqa: E402
from widgets.edge import refuse_malformed_widget_posts  # noqa: E402

# The client address comes from X-Forwarded-For only behind TRUSTED_PROXIES (daphne runs
# without --proxy-headers, which believes anyone's header).
application = TrustedProxyMiddleware(
    ProtocolTypeRouter(
        {
            # Malformed widget POSTs refused before Django (widgets/edge.py); at most
            # HTTP_MAX_CONCURRENCY requests in Django at once (a connection each).
            "http": refuse_malformed_widget_posts(
                HttpConcurrencyLimit(webhook_body_limit(django_asgi_app))
            ),
            "websocket": WebsocketSiteMiddleware(URLRouter(websocket_urlpatterns)),
        }
    )
)
