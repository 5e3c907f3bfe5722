"""
Moving a mission's record in and out of the diary.

- `fixture_export`: a Django JSON fixture with natural keys, streamed in dependency order.
- `fixture_checks`, `fixture_import`: the same format read back — the file checked whole,
  then every record cleaned and saved in one transaction, or nothing kept.
- `schedule`: a published mission in the c3voc schedule format conference apps read; its
  exporter (and the other public formats) live in `diary/exports/`.
"""
