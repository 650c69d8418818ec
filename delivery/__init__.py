"""What the bot sends on its own initiative: the rate-limited sender, broadcasts, notifications."""
