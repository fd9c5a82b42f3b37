"""Protocol files: the format (model), reading them (files), the library, the template."""
