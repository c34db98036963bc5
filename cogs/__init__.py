"""Discord adapters: each module is an extension with one cog."""
