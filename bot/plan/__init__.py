"""The plan as data: models, the loader and its validation, typed deadlines, agencies and
who is responsible for what. Imports only `bot.core`."""
