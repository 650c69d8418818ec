"""`tukulokal sandbox`: try the bot in a browser, with no Telegram token and no network."""

from bot.sandbox.server import Sandbox, SandboxClock, run_sandbox

__all__ = ["Sandbox", "SandboxClock", "run_sandbox"]
