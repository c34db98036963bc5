"""Domain objects rendered as Discord embeds and views, always inside Discord's limits."""
