"""Celery glue: the app and thin tasks that call into `router/`."""
