"""The HTTP edge: the FastAPI app, the REST API, health and metrics. Thin: every decision is the core's."""
