"""The demo's URLs, included by config/urls_*.py only when DEMO=1 (and always last).

Simulator pages (later issues: a Messenger or WhatsApp conversation played in the browser)
go into `simulator_patterns`, served under /demo/ on every host, before the catch-all.
"""

from django.urls import include, path

from demo import views

simulator_patterns: list = [
    # A Messenger or WhatsApp resident (council hosts only): social/demo.py.
    path("social/", include("social.demo")),
]

# Council and partnership hosts: the pretend council website (index and service pages).
site_patterns = [
    path("demo/", include(simulator_patterns)),
    path("", views.demo_index, name="demo-index"),
    path("<path:path>", views.demo_service_page, name="demo-page"),
]

# The public host: a page that says where the demo lives.
public_patterns = [
    path("demo/", include(simulator_patterns)),
    path("", views.public_index, name="home"),
]
