"""The safety net: the checklist, red-flag rules, holds, the gates and the dose."""
