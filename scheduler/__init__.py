"""Scheduled work: APScheduler wiring (scheduler.runner) and jobs (scheduler.jobs).

Jobs call services (and the bot's renderers for what they send), never handlers.
"""
