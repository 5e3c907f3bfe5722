"""A five-second run of bench/loadtest.py: the script works end to end (the real run is 30 s)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_load_test_script_runs_readers_and_editors_with_no_error_and_no_lost_edit():
    result = subprocess.run(
        [
            sys.executable,
            "bench/loadtest.py",
            "--duration",
            # Long enough for editors to sign in and save even on a loaded 2-core machine.
            "5",
            "--readers",
            "2",
            "--editors",
            "2",
            "--workers",
            "2",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "errors 0, lost edits 0" in result.stdout
    assert "RESULT: PASS" in result.stdout
