"""Operations on the database that views, commands and jobs share.

The rule for transactions: operations flush, the boundary commits. An operation adds,
changes and flushes rows (so ids exist and constraint errors surface where they can be
answered) and never commits; whoever started the unit of work commits it once it has
succeeded: the view at the end of its request, the ``flask`` command when its work is done,
the job runner (``jobs.run_job``) with the job's "done". That keeps a request that calls two
operations all-or-nothing.

Two kinds of operation write outside the caller's transaction, each saying so where it does:
settling a race by retrying rolls back the losing attempt (``decks.store_decks_racing``; an
answer, ``study_answer.record_answer``, and its undo, ``study.undo_last``, which commit when
they win and roll back to read the winner's row when another tab or a double click got there
first: the answer is the whole unit of work), and
what another process must see at once is committed before handing it over (``jobs.queue_job``
commits the job before the worker is told; a job's progress is written in transactions of its
own, so that the page polling it sees it while the work runs).
"""
