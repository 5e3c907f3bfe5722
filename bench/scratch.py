"""What the bench scripts share: a scratch PostgreSQL database beside the one a URL names."""

from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit


@contextmanager
def scratch_postgres(url, suffix):
    """
    A fresh `<name><suffix>` database on the server `url` names, dropped afterwards; yields
    its URL as the README writes one (no query parameters): the app's defaults decide how
    connections are kept.
    """
    import psycopg

    parts = urlsplit(url)
    name = (parts.path.lstrip("/") or "postgres") + suffix
    admin_url = urlunsplit(parts._replace(path="/postgres", query=""))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        # FORCE: a server process of an earlier run may still hold a connection to it.
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}", query=""))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
