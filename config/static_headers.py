"""Headers on static files, which WhiteNoise serves before any other middleware runs."""


def add_static_headers(headers, path: str, url: str) -> None:
    """WHITENOISE_ADD_HEADERS_FUNCTION: a script or stylesheet is never sniffed as another
    type (the pages' own headers come from SecurityMiddleware and django-csp)."""
    headers["X-Content-Type-Options"] = "nosniff"
