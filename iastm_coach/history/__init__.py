"""Reading back: sessions with their check-ins, outcome measures, trends, today's plan."""
