"""The journal: the only owner of its file format.

Records and their fields, month files, the parse cache, check and repair."""
