"""Answers: from an understood message to a transport-free `Reply`. One module per intent
registers its answer (`registry`); they share the plan and progress (`context`), the
rendering of items, agencies and deadlines (`rendering`) and the «Ý anh/chị là …?»
clarification (`clarification`); `answerer.Answerer` is the entry point. Buttons are
semantic (`Button.action`); only a door turns them into its own data. Imports core, plan,
progress and nlu."""
