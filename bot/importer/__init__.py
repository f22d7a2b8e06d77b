"""Import a plan document (.txt, .docx, text-layer .pdf) into a draft plan.yaml.

`reading` turns a file into blocks (paragraphs and tables); `metadata` reads the
document's head, bases, legal references, recipients and signer; `structure` reads
the tasks, in numbered paragraphs or in an appendix table; `roles` finds agencies and
the roles the text gives them; `deadlines` types a deadline's wording; `draft` puts it
together, validates it with the plan's own models and writes plan.yaml, review.md (all
that could not be mapped) and agencies.yaml (the registry plus the proposed agencies).

This package imports only `bot.plan` and `bot.core`; the command line calls it.
"""

from __future__ import annotations

from bot.importer.draft import ImportResult, import_plan, write_draft
from bot.importer.reading import PlanImportError

__all__ = ["ImportResult", "PlanImportError", "import_plan", "write_draft"]
