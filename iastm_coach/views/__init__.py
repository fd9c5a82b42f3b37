"""Screens: the only place (with the live timer view) that draws with Rich."""
