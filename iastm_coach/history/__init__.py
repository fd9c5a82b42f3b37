"""Reading back: sessions with their check-ins, follow-up windows, outcome measures, answers."""
