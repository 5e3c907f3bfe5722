"""
Support for the hostile suite: servers that misbehave, and the app run as its own process.

A helper module, not a test module: tests import from it, never from each other.
"""

import contextlib
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

# A key good enough for DEBUG off (50+ characters, varied): what an operator would set.
PRODUCTION_SECRET_KEY = "q8Vd2-Jx7pLr0sWm4KfT9bNc6HyZ1aEu3GiO5vQk8RtY2wXn7MjB0lCe4DhF6gSa"


@contextlib.contextmanager
def silent_listener():
    """
    A port that accepts connections and never says a word: a hung server.

    The kernel completes the TCP handshake for the listening socket's backlog, so a client
    connects at once and then waits for an answer that never comes.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield server.getsockname()[1]


def closed_port():
    """A port nothing listens on (bound, then released): connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_app(script, environment, timeout=60):
    """
    Run `script` in a fresh Python with Django set up from `environment` alone.

    For what only start-up settings decide (database and cache URLs, DEBUG off, logging):
    nothing of the test run, or of a developer's shell or .env, leaks in.
    """
    prologue = (
        "import django, os\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'missiontracker.settings')\n"
        "django.setup()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", prologue + script],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DEBUG": "false",
            "SECRET_KEY": PRODUCTION_SECRET_KEY,
            "ALLOWED_HOSTS": "testserver",
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=timeout,
    )
