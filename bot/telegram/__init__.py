"""The Telegram door: a python-telegram-bot Application around the brain.

`app` builds and runs the Application; `handlers` holds message and callback
handlers, `commands` the slash commands and their menus, `callbacks` the inline
keyboard data format, `errors` the one error handler and log hygiene. Feature
modules (progress, reminders) plug in with a `register(application)` function.
"""
