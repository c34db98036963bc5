"""The Discord-free rules every feature shares: who acts, text cleaning, mention refusal,
Markdown paging, clocks and time zones.
"""
