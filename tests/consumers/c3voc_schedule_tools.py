"""
Put a schedule through c3voc-schedule-tools the way the voc's merge scripts do.

Run with the tool's venv's Python (.venv/consumers/c3voc-schedule-tools, see
c3voc-schedule-tools.txt):

    python c3voc_schedule_tools.py SCHEDULE.json OUTPUT_DIRECTORY

writes, in OUTPUT_DIRECTORY:
- schedule.xml: the file loaded (Schedule.from_file) and converted to the voc XML format;
- merged.json and merged.xml: a multi-day template from the day before the schedule's start
  to the day after its end, with the schedule's events merged in (add_events_from), as JSON
  and as XML.
and prints {"merged": <add_events_from's answer>} as JSON. The XML is validated by the
caller, against the voc XSD.
"""

import datetime
import json
import sys
from pathlib import Path

from voc.schedule import Schedule, ScheduleEncoder

source, output = sys.argv[1], Path(sys.argv[2])

schedule = Schedule.from_file(source)
(output / "schedule.xml").write_text(schedule.xml(), encoding="utf-8")

# Schedule.from_template builds "end" as the start's day of month + days - 1, which is no
# date across a month's end; this is the same template with its dates computed.
start = schedule.conference_start().date() - datetime.timedelta(days=1)
end = datetime.date.fromisoformat(schedule.conference("end")[:10]) + datetime.timedelta(days=1)
template = Schedule(
    version="template",
    conference={
        "acronym": "template",
        "title": "Template",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "daysCount": (end - start).days + 1,
        "timeslot_duration": "00:15",
        "time_zone_name": schedule.conference("time_zone_name"),
    },
)
merged = template.add_events_from(Schedule.from_file(source))
(output / "merged.json").write_text(
    json.dumps(template, cls=ScheduleEncoder, indent=2), encoding="utf-8"
)
(output / "merged.xml").write_text(template.xml(), encoding="utf-8")
print(json.dumps({"merged": merged}))
