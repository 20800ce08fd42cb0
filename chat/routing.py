from django.urls import path, re_path

from chat.consumers import OperatorConsumer, UnknownPathConsumer, VisitorConsumer
from chat.supervisor_socket import SupervisorConsumer

websocket_urlpatterns = [
    # str, not uuid: a malformed id must reach the consumer and get its 4403/4404 close.
    path("ws/visitor/<str:conversation>/", VisitorConsumer.as_asgi()),
    path("ws/operator/", OperatorConsumer.as_asgi()),
    path("ws/supervisor/", SupervisorConsumer.as_asgi()),
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
