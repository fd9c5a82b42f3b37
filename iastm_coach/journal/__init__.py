"""The journal: the only owner of its file format.

`store.Journal` is the API (append, read, questions such as `region_records`); the
other modules are its parts: ids, format, parser, files, cache, blocks, check, repair,
chain and integrity (the hash chain that makes deletions and edits visible, and its
verdict), and records (the record kinds and their fields)."""
