"""Answers: one engine over the plan and renderers per intent, turning an understood
message into a transport-free `Reply`. Imports core, plan, progress types and nlu."""
