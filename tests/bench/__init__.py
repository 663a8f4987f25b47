"""Speed and memory of the kiosk, measured by ``python -m tests.bench`` (never asserted in tests).

Each module registers measures with :func:`tests.bench.harness.measure`; a measure returns rows of one
table. To add a row for a later issue, write a function returning :class:`~tests.bench.harness.Row`
objects, decorate it, and list its module in ``harness.MODULES``.
"""
