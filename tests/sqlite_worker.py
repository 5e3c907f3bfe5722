"""
One process of the SQLite concurrency test: `python -m tests.sqlite_worker write|read N TAG`.

Run by tests/test_sqlite_concurrency.py against a file database named by DATABASE_URL.
Prints one JSON line: what it did and every error it met.
"""

import json
import os
import sys
import time


def main(role, count, tag):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "missiontracker.settings")
    import django

    django.setup()
    from django.db import DatabaseError, connection, transaction

    from diary.models import CooperationArea, Mission

    done, errors = 0, []
    mission_id = Mission.objects.values_list("pk", flat=True).get(slug="contended")
    for n in range(count):
        try:
            if role == "write":
                # Read, then write, in one transaction: the pattern that fails with "database
                # is locked" when two deferred transactions both try to upgrade to writing.
                with transaction.atomic():
                    mission = Mission.objects.get(pk=mission_id)
                    mission.summary = f"{mission.summary[-200:]} {tag}-{n}"
                    mission.save(update_fields=["summary"])
                    CooperationArea.objects.create(name=f"{tag}-{n}", slug=f"{tag}-{n}")
            else:
                list(Mission.objects.all())
                CooperationArea.objects.count()
            done += 1
        except DatabaseError as error:
            errors.append(str(error))
        time.sleep(0.001)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal_mode = cursor.fetchone()[0]
    print(json.dumps({"role": role, "done": done, "errors": errors, "journal_mode": journal_mode}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
