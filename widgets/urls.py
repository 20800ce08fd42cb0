from django.urls import path

from widgets import views

urlpatterns = [
    path("config", views.widget_config, name="widget-config"),
    path("conversations", views.conversation_create, name="widget-conversations"),
    path("embed.js", views.embed_js, name="widget-embed"),
]
