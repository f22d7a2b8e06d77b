"""Core: settings, the injected clock, text folding, the transport-free reply and YAML
reading. Imports nothing else of the bot; everything else may import it."""
