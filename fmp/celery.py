"""The Celery application: broker from CELERY_BROKER_URL (Redis in production)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fmp.settings")

app = Celery("fmp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
