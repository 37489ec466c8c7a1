"""Progress display for long commands (rich loads when a bar is shown)."""

from __future__ import annotations

import contextlib


def with_progress(console, label: str, budget: float | None, work, delay: float = 1.0):
    """Run ``work()`` in a thread; after ``delay`` seconds show a progress bar (over the time
    budget when there is one, else a spinner with the elapsed time). Returns what ``work``
    returns and re-raises what it raises, in the caller's thread."""
    import threading
    import time

    box: dict = {}

    def run():
        try:
            box["value"] = work()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    th = threading.Thread(target=run, daemon=True)
    t0 = time.perf_counter()
    th.start()
    th.join(delay)
    if th.is_alive():
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = [SpinnerColumn(), TextColumn(label)]
        if budget:
            columns.append(BarColumn())
        columns.append(TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(label, total=budget or None)
            while th.is_alive():
                th.join(0.1)
                progress.update(task, completed=min(time.perf_counter() - t0, budget) if budget else None)
    if "error" in box:
        raise box["error"]
    return box["value"]


@contextlib.contextmanager
def counting_progress(console, verb: str):
    """A progress bar driven by ``tick(done, total, label)`` callbacks."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(verb, total=None)

        def tick(done, total, label):
            progress.update(task, total=total, completed=done, description=f"{verb} {label}")

        yield tick
