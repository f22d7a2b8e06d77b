"""The plans admins send to the bot: imported into drafts, activated, served from the database.

`documents.PlanShelf` turns an uploaded document into a stored draft (the importer's
plan.yaml, agencies.yaml and review, checked as `check-plan` does), activates a draft
that passed (the database first, then the plan joins the library), and loads the
active plans at start. The YAML lives in the database (`plan_documents`), so a backup
holds every plan the bot serves; the files under the plans folder are written from it.
"""

from bot.shelf.documents import Activation, Draft, PlanShelf

__all__ = ["Activation", "Draft", "PlanShelf"]
