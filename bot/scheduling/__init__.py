"""Scheduling domain: when reminders fire, how fast broadcasts go, and how they survive restarts.

Nothing here knows about Telegram or the database; the application layer adapts both to the
small protocols these modules define.
"""
