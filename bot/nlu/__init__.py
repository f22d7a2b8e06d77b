"""Understanding Vietnamese messages: lexicon and spelling, entities, agency names,
topic search, the intent classifier and the understanding of one message. Imports
`bot.core`, `bot.plan` (and progress types)."""
