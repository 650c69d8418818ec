"""The development kit that ships with TukuLokal: try the bot with no Telegram token.

- `sandbox.fakegram`: the in-repo Bot API server (used by the tests, the sandbox and benchmarks);
- `sandbox.server`: `tukulokal sandbox`, the bot against fakegram with a chat page (`web/`);
- `sandbox.console`: `tukulokal try`, the same in a terminal;
- `sandbox.demo`: the demo world (shops, products, roster, personas, months of orders).
"""
