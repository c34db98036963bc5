"""A local Discord for development: the emulator (fake REST + gateway on 127.0.0.1) and the
terminal playground. Used by the tests, the benchmarks and `python -m bot playground`; never
imported by the bot itself.
"""
