"""Looking ahead and across: today's plan, the schedule, trends, and deviations from the plan.

These read the history and apply the safety rules to it; the session and the report use
them, never the other way round.
"""
