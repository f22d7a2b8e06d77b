"""Progress reporting: its types, the update service (parse, validate, store), access
rules, the derived view and the Excel report. Imports `bot.core`, `bot.plan`, `bot.storage`."""
