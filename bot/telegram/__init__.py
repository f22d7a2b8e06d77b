"""The Telegram door: a python-telegram-bot Application around the brain.

`app` builds and runs the Application; `context` is its typed context (`BotData`,
`Context`); `handlers` holds message and button handlers, `commands` the slash
commands and their menus, `callbacks` the inline keyboard data format, `errors` the
one error handler and log hygiene. Feature modules (progress, reminders) plug in
through the `feature.Feature` contract (register, start, stop) and never import `app`.
"""
