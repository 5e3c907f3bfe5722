"""
Run pyfahrplan's own command line (its filters and its table) on a local schedule file.

Run with the pyfahrplan venv's Python (.venv/consumers/pyfahrplan, see pyfahrplan.txt):

    python pyfahrplan_cli.py SCHEDULE.json [pyfahrplan options...]

pyfahrplan only downloads the fixed c3 schedules from the network; this replaces that one step
(`Fahrplan._get_fahrplans`) with reading the file, and everything after it is pyfahrplan's
code as released. Its download cache, requests-cache 0.8.1 (the version pyfahrplan 1.1.0
requires), fails at import on Python 3.11 (cattrs: "ForwardRef('CachedResponse') is not a
class"); nothing is downloaded here, so a stand-in with the two functions pyfahrplan calls
takes its place.
"""

import json
import sys
import types

sys.modules["requests_cache"] = types.SimpleNamespace(
    install_cache=lambda *args, **kwargs: None, clear=lambda: None
)

from pyfahrplan import lib  # noqa: E402  (after the stand-in above)
from pyfahrplan.pyfahrplan_cli import cli  # noqa: E402

path, *arguments = sys.argv[1:]


def read_local_file(fahrplan):
    with open(path, encoding="utf-8") as file:
        fahrplan.fahrplans = [json.load(file)["schedule"]]


lib.Fahrplan._get_fahrplans = read_local_file
cli.main(arguments, prog_name="pyfahrplan")
