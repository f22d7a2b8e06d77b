"""The composition root and the local doors: the command line, the terminal chat and
the runtime that builds every service once. Top layer: nothing imports it."""
