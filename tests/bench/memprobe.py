"""Peak memory of one model build, in a fresh process: ``python memprobe.py FUNC N``.

Prints the growth of the peak resident set size (MiB) over the baseline taken after
imports and data generation, so library import costs do not count.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import models  # noqa: E402


def _status(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> None:
    """Reset the peak-RSS mark (Linux >= 4.0); ru_maxrss would carry the parent's peak over exec."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def main() -> None:
    func, n = sys.argv[1], int(sys.argv[2])
    import dimod  # noqa: F401  (every path ends in a BQM)

    if "pyqubo" in func:
        import pyqubo  # noqa: F401
    if "qiskit" in func:
        import qiskit_optimization  # noqa: F401
    data = (models.tsp_data(n),) if func.startswith("tsp") else models.routing_data(n, n // 2, 4)
    reset_peak()
    base = _status("VmRSS")
    bqm = getattr(models, func)(*data)
    peak = _status("VmHWM")
    print(f"{max(peak - base, 0.0):.1f} {bqm.num_interactions}")


if __name__ == "__main__":
    main()
