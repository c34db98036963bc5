"""The playground: try Nexus in a terminal, with no Discord account or token.

`python -m bot playground` runs the real bot (same factory, same cogs, real content) against the
local Discord emulator on 127.0.0.1, in a demo server, and gives you a prompt where you type
slash commands as in Discord. `--script FILE` runs a file of commands and prints the transcript.
"""
