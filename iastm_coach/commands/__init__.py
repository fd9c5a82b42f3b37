"""Typer command modules. Each imports only typer and the stdlib at module level:
the heavy work (pydantic, rich, the journal) is imported inside the command, so
`iastm-coach --help` stays fast."""
