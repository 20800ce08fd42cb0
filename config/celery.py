"""Celery, tenant-aware: tasks run in the schema of the connection that sent them.

tenant-schemas-celery's app records the sender's schema in each task's headers and switches
to it in the worker (a plain Celery app would run every task in public: #12, #132).
"""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("councilchat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
