"""Waiting in tests without a clock: on events and conditions, never on elapsed time.

`HANG` bounds every such wait only so that a broken test or a broken khabar ends in a failure
instead of hanging the suite: a correct run never comes near it, however loaded the machine.
"""

HANG = 120  # seconds
