"""TukuLokal bot: composition root (settings, bot and dispatcher factory, CLI)."""
