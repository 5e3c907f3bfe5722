"""
The staff backup: moving a mission's record in and out of the diary (drafts included, behind
permissions of their own). The public formats are apart, in `diary/exports/`.

- `fixture_export`: a Django JSON fixture with natural keys, streamed in dependency order.
- `fixture_checks`, `fixture_import`: the same format read back — the file checked whole,
  then every record cleaned and saved in one transaction, or nothing kept.
"""
