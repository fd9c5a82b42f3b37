"""The guided session: flow, screening, timer and keys, aftercare, exercises, prompts."""
