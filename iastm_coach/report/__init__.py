"""The physio's report: one model from the journal, as Markdown, HTML, CSV or JSON."""
