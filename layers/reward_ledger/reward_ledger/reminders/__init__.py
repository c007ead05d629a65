"""Reminders (``reminder.due``): countdowns and nudges that bring users back.

A reminder is one item per (user, kind, subject) in the ledger table, created by a conditional put (the
dedupe). Waiting reminders sit in the sparse ``DueIndex`` (``due_bucket = <UTC day>#<shard>``,
``due_index_at``), so the scheduled finder reads O(what is due), never all users. Delivering one flips it
to ``sent`` (or ``muted``) and takes it out of the index; the table's stream then publishes
``reminder.due`` (``reward_ledger.outbound``), so a reminder is published only once it is committed.
"""
