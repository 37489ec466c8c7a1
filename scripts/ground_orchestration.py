"""Regenerate the grounded orchestration data in ``qbdsl/orchestrate/data/``.

Writes two JSON files, read at run time by :mod:`qbdsl.orchestrate.grounded` (which needs
neither of the packages used here):

``ibm_fleet.json``
    Four IBM devices as their calibration snapshots in ``qiskit_ibm_runtime.fake_provider``
    describe them (qubits, couplers, median errors, T1/T2, snapshot date), with the CLOPS_h
    figure IBM publishes in each device's configuration, a per-batch overhead (an assumption,
    labelled as such) and the published optimal single-wire-cut sampling overhead.

``mqt_circuits.json``
    Benchmark circuits from MQT Bench (target-independent level) transpiled onto every device
    wide enough with ``generate_preset_pass_manager(optimization_level=1, seed_transpiler=0)``:
    depth, two-qubit depth, gate counts and the estimated success probability (ESP, Nishio et
    al., ACM JETC 16(3) 32, 2020) from the device's calibration.

Run with the ``grounding`` extra installed (``pip install -c constraints.txt -e ".[grounding]"``)::

    .venv/bin/python scripts/ground_orchestration.py            # about 2.5 minutes on 2 cores
    .venv/bin/python scripts/ground_orchestration.py --quick --out /tmp/g   # three small sizes, for a look

The functions are importable (``tests/test_grounded.py`` regenerates one circuit with them and
compares it with the shipped file).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import functools
import importlib.metadata as md
import json
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "qbdsl" / "orchestrate" / "data"

# Fleet: short name -> fake backend class in qiskit_ibm_runtime.fake_provider.
FLEET = {
    "fez": "FakeFez",  # Heron r2, 156 qubits
    "marrakesh": "FakeMarrakesh",  # Heron r2, 156 qubits
    "torino": "FakeTorino",  # Heron r1, 133 qubits
    "kyiv": "FakeKyiv",  # Eagle r3, 127 qubits
}

# MQT Bench families (benchmark names of mqt.bench 2.3) and the keyword arguments that make
# them deterministic. Chosen for network / optimisation workloads (QAOA, variational ansätze,
# the QUARK cardinality circuit, QNN) plus the standard entangling and Fourier-type kernels.
FAMILIES = {
    "qaoa": {},  # MaxCut QAOA, 2 layers, random graph (seed 10 in mqt.bench)
    "vqe_real_amp": {},  # RealAmplitudes, reverse-linear entanglement, 3 reps
    "vqe_su2": {},  # EfficientSU2, reverse-linear, 3 reps
    "vqe_two_local": {},  # TwoLocal ansatz
    "bmw_quark_cardinality": {},  # BMW QUARK generative-modelling cardinality circuit
    "qnn": {},  # quantum neural network (Z feature map + RealAmplitudes)
    "ghz": {},
    "graphstate": {"seed": 10},  # random 2-regular graph: seeded here (mqt.bench's default is unseeded)
    "wstate": {},
    "dj": {},  # Deutsch-Jozsa
    "qft": {},
    "qftentangled": {},
    "qpeexact": {},
    "ae": {},  # amplitude estimation
}

# 125 rather than 127: Eagle r3 kyiv has 127 qubits, but two of them have no usable coupler in
# the snapshot, so its largest usable connected region is 125 qubits (see usable_qubits()).
SIZES = [5, 10, 20, 40, 60, 80, 100, 125, 150]
QUICK_SIZES = [5, 10, 20]

OPTIMIZATION_LEVEL = 1
SEED_TRANSPILER = 0
# A transpilation slower than this stops the family's larger sizes (they only get slower).
SLOW_TRANSPILE_S = 120.0

# Seconds per batch (load, bind, start): the ibm backend's per-job time, derived from IBM's one
# published usage example (see JOB_OVERHEAD_SECONDS there), so the case study and the backend agree.
sys.path.insert(0, str(ROOT))
from backends.ibm_backend import (  # noqa: E402
    JOB_OVERHEAD_SECONDS as OVERHEAD_S,
)
from backends.ibm_backend import (  # noqa: E402
    PUBLISHED_SHOT_SECONDS,
    PUBLISHED_USAGE_SECONDS,
    PUBLISHED_USAGE_SHOTS,
)
from qbdsl.io.atomic import atomic_write  # noqa: E402

ESP_REFERENCE = (
    "T. Nishio, Y. Pan, T. Satzinger, H. Amano, R. Van Meter, 'Extracting Success from "
    "IBM's 20-Qubit Machines Using Error-Aware Compilation', ACM J. Emerg. Technol. Comput. "
    "Syst. 16(3), article 32 (2020), doi:10.1145/3386162, arXiv:1903.10963"
)
ESP_DEFINITION = (
    "ESP = prod over gates g of (1 - e_g) * prod over measurements m of (1 - r_m), with e_g the "
    "calibrated error of gate g on the qubits it acts on and r_m the calibrated readout error "
    "of the measured qubit (rz is virtual, error 0; barriers and delays count as no gate)"
)


# ---------------------------------------------------------------------------------------------
# Versions and licences
# ---------------------------------------------------------------------------------------------


def versions() -> dict:
    """Versions of the packages that produced the data."""
    return {
        "python": ".".join(map(str, sys.version_info[:3])),
        "qiskit": md.version("qiskit"),
        "qiskit-ibm-runtime": md.version("qiskit-ibm-runtime"),
        "mqt.bench": md.version("mqt.bench"),
    }


def _licence_of(dist: str) -> str:
    meta = md.metadata(dist)
    lic = meta.get("License-Expression") or meta.get("License") or ""
    classifiers = [c.rsplit("::", 1)[-1].strip() for c in (meta.get_all("Classifier") or []) if "License" in c]
    return lic.strip() + (f" (classifier: {', '.join(classifiers)})" if classifiers else "")


def licences() -> dict:
    """Licences as the installed packages' metadata declare them."""
    return {
        "qiskit-ibm-runtime": _licence_of("qiskit-ibm-runtime"),
        "mqt.bench": _licence_of("mqt.bench"),
        "qiskit": _licence_of("qiskit"),
        "note": (
            "Calibration snapshots: qiskit_ibm_runtime/fake_provider/backends/*/{conf,props}_*.json, "
            "shipped in qiskit-ibm-runtime under the Apache License 2.0. Circuits: generated with "
            "MQT Bench (MIT licence). The derived figures in this file are distributed with qbdsl "
            "(Apache-2.0) with this attribution."
        ),
    }


# ---------------------------------------------------------------------------------------------
# Devices
# ---------------------------------------------------------------------------------------------


@functools.cache
def fake_backend(name: str):
    """The ``qiskit_ibm_runtime.fake_provider`` backend of a fleet device (``"fez"``...)."""
    from qiskit_ibm_runtime import fake_provider

    return getattr(fake_provider, FLEET[name])()


def _snapshot(backend) -> tuple[dict, dict]:
    """The raw configuration and properties JSON the fake backend was built from."""
    base = Path(backend.dirname)
    return (
        json.loads((base / backend.conf_filename).read_text()),
        json.loads((base / backend.props_filename).read_text()),
    )


def two_qubit_gate(backend) -> str:
    """The device's native two-qubit gate (``cz`` on Heron, ``ecr`` on Eagle)."""
    names = [n for n in ("cz", "ecr", "cx") if n in backend.target.operation_names]
    if not names:
        raise RuntimeError(f"{backend.name}: no native two-qubit gate")
    return names[0]


def dead_couplers(backend) -> set[tuple[int, int]]:
    """Directed two-qubit gate entries whose calibrated error is reported as 1.

    IBM reports an error of 1 where a coupler's calibration failed; such an entry is not a
    usable gate, and a compiler that could route through it would make every ESP 0.
    """
    gate = two_qubit_gate(backend)
    return {
        qargs for qargs, p in backend.target[gate].items() if p is not None and p.error is not None and p.error >= 1.0
    }


@functools.cache
def usable_target(name: str):
    """The device's ``Target`` less the two-qubit entries reported with error 1; every other
    instruction, duration and error is the snapshot's, unchanged."""
    from qiskit.transpiler import Target

    backend = fake_backend(name)
    src = backend.target
    dead = dead_couplers(backend)
    gate = two_qubit_gate(backend)
    tgt = Target(
        description=f"{backend.name} without couplers reported with error 1",
        num_qubits=src.num_qubits,
        dt=src.dt,
        granularity=src.granularity,
        min_length=src.min_length,
        pulse_alignment=src.pulse_alignment,
        acquire_alignment=src.acquire_alignment,
        qubit_properties=src.qubit_properties,
        concurrent_measurements=src.concurrent_measurements,
    )
    for op_name in src.operation_names:
        op = src.operation_from_name(op_name)
        props = dict(src[op_name])
        if list(props) == [None]:  # global instruction (control flow)
            tgt.add_instruction(op, name=op_name)
            continue
        if op_name == gate:
            props = {q: p for q, p in props.items() if q not in dead}
        tgt.add_instruction(op, props, name=op_name)
    return tgt


@functools.cache
def usable_qubits(name: str) -> int:
    """Qubits in the largest connected region of the device's usable coupling map: the widest
    circuit it can run without a coupler reported with error 1. A circuit wider than this gets
    no entry for the device."""
    import rustworkx as rx

    graph = usable_target(name).build_coupling_map().graph.to_undirected()
    return max(len(c) for c in rx.connected_components(graph))


@functools.cache
def pass_manager(name: str):
    """Qiskit's preset pass manager (level 1, seed 0) for the device's usable target."""
    from qiskit.transpiler import generate_preset_pass_manager

    return generate_preset_pass_manager(
        optimization_level=OPTIMIZATION_LEVEL, target=usable_target(name), seed_transpiler=SEED_TRANSPILER
    )


def _median(values) -> float:
    values = [float(v) for v in values if v is not None]
    return float(statistics.median(values)) if values else float("nan")


# CLOPS_h sources. The figure itself is read from each snapshot's configuration ("clops_h"),
# which is what IBM Quantum Platform served for the device when the snapshot was taken.
CLOPS_DEFINITION_URL = "https://quantum.cloud.ibm.com/docs/guides/qpu-information"
CLOPS_BENCHMARK_URL = (
    "https://github.com/qiskit-community/qiskit-device-benchmarking/tree/main/qiskit_device_benchmarking/clops"
)
CLOPS_PAPER = (
    "A. Wack et al., 'Quality, Speed, and Scale: three key attributes to measure the "
    "performance of near-term quantum computers', arXiv:2110.14108 (2021)"
)


def device_record(name: str) -> dict:
    """Everything the fleet file says about one device, from its calibration snapshot."""
    backend = fake_backend(name)
    conf, props = _snapshot(backend)
    target = backend.target
    gate = two_qubit_gate(backend)
    n = backend.num_qubits
    ptype = conf.get("processor_type") or {}
    family = f"{ptype.get('family', '?')} r{ptype.get('revision', '?')}"
    couplers = {frozenset(e) for e in backend.coupling_map.get_edges()}
    dead = dead_couplers(backend)
    two_q_errors = [p.error for p in target[gate].values() if p is not None and p.error is not None]
    readout = [target["measure"][(q,)].error for q in range(n)]
    qp = target.qubit_properties or []
    clops_h = conf.get("clops_h")
    if not isinstance(clops_h, (int, float)):
        raise RuntimeError(f"{backend.name}: the snapshot carries no clops_h figure")
    rel = Path(backend.dirname).relative_to(Path(backend.dirname).parents[2])
    snap_url = (
        f"https://github.com/Qiskit/qiskit-ibm-runtime/blob/{md.version('qiskit-ibm-runtime')}/"
        f"qiskit_ibm_runtime/{rel.as_posix()}/{backend.conf_filename}"
    )
    return {
        "name": name,
        "backend_name": conf.get("backend_name", backend.name),
        "family": family,
        "qubits": n,
        "usable_qubits": usable_qubits(name),
        "coupling_edges": len(couplers),
        "couplers_reported_error_1": len({frozenset(q) for q in dead}),
        "two_qubit_gate": gate,
        "two_qubit_error": _median(two_q_errors),
        "median_two_qubit_error": _median(two_q_errors),
        "best_two_qubit_error": min(e for e in two_q_errors if e is not None),
        "median_sx_error": _median(p.error for p in target["sx"].values() if p is not None),
        "median_readout_error": _median(readout),
        "median_t1_us": _median(q.t1 * 1e6 for q in qp if q is not None and q.t1 is not None),
        "median_t2_us": _median(q.t2 * 1e6 for q in qp if q is not None and q.t2 is not None),
        "snapshot_date": props.get("last_update_date"),
        "backend_version": conf.get("backend_version"),
        "default_rep_delay_us": conf.get("default_rep_delay"),
        "clops": float(clops_h),
        "clops_metric": "CLOPS_h",
        "overhead": OVERHEAD_S,
        # a shot takes max(layers / clops, this): the ibm backend's rule (model.per_shot_seconds)
        "shot_seconds": float(conf.get("default_rep_delay") or 0.0) * 1e-6,
        "sources": {
            "calibration": (
                f"qiskit-ibm-runtime {md.version('qiskit-ibm-runtime')} fake backend "
                f"{FLEET[name]} ({rel.as_posix()}/{backend.props_filename}), IBM calibration "
                f"snapshot dated {props.get('last_update_date')}"
            ),
            "clops": {
                "value": float(clops_h),
                "metric": "CLOPS_h (hardware-aware CLOPS: layers of parallel two-qubit gates plus a "
                "layer of single-qubit gates, 100 qubits wide, 100 layers deep)",
                "published_by": (
                    f"IBM Quantum Platform device configuration of {conf.get('backend_name')} "
                    f"(field clops_h), as captured in the snapshot"
                ),
                "device_specific": True,
                "url": snap_url,
                "snapshot_date": props.get("last_update_date"),
                "definition": CLOPS_DEFINITION_URL,
                "benchmark_code": CLOPS_BENCHMARK_URL,
                "paper": CLOPS_PAPER,
            },
            "overhead": "assumption (see the file's 'overhead' entry)",
        },
    }


WIRE_CUT = {
    "value": 9.0,
    "gamma": 3.0,
    "unit": "factor on the shots per single-wire cut (gamma**2)",
    "chosen": (
        "optimal single-wire cut, gamma = 3, sampling overhead 9, reachable without classical "
        "communication and without ancilla qubits (fragments run on different QPUs at different "
        "times, so no real-time communication is assumed)"
    ),
    "citations": [
        {
            "ref": (
                "L. Brenner, C. Piveteau, D. Sutter, 'Optimal wire cutting with classical communication', "
                "arXiv:2302.03366 (2023); IEEE Trans. Inf. Theory 71(10), 7742-7752 (2025)"
            ),
            "figure": "gamma_LOCC(id_n) = 2^(n+1) - 1: gamma = 3 and overhead 9 for one wire; "
            "(2^(n+1)-1)^2 for n wires",
        },
        {
            "ref": (
                "H. Harada, K. Wada, N. Yamamoto, 'Doubly optimal parallel wire cutting without classical "
                "communication', arXiv:2303.07340 (2023)"
            ),
            "figure": "the same optimal gamma = 2^(n+1) - 1 without classical communication or ancillas",
        },
        {
            "ref": "E. Pednault, 'An alternative approach to optimal wire cutting without ancilla qubits', "
            "arXiv:2303.08287 (2023)",
            "figure": "the same optimal factors without ancillas",
        },
    ],
    "alternatives": {
        "peng_2020": {
            "value": 16.0,
            "gamma": 4.0,
            "ref": (
                "T. Peng, A. W. Harrow, M. Ozols, X. Wu, 'Simulating large quantum circuits on a small "
                "quantum computer', Phys. Rev. Lett. 125, 150504 (2020), arXiv:1904.00102: 8-term "
                "decomposition with coefficients +-1/2"
            ),
        },
        "qiskit_addon_cutting_0.10.0_move": {
            "value": 16.0,
            "gamma": 4.0,
            "ref": (
                "qiskit-addon-cutting 0.10.0, qpd/decompositions.py: the Move (wire cut) QPD basis is Peng et "
                "al.'s Eqs. (12)-(19); QPDBasis.kappa = 4, QPDBasis.overhead = kappa**2 = 16"
            ),
        },
        "previous_qbdsl_model": {
            "value": 4.0,
            "note": "gamma of Peng et al. used as the shot factor; the sampling overhead is gamma**2",
        },
    },
}


def fleet_document() -> dict:
    """The whole ``ibm_fleet.json`` document."""
    qpus = [device_record(name) for name in FLEET]
    return {
        "generated_by": "scripts/ground_orchestration.py",
        "generated_on": _dt.date.today().isoformat(),
        "versions": versions(),
        "licence": licences(),
        "description": (
            "IBM devices from the calibration snapshots shipped in qiskit-ibm-runtime, in the format "
            "qbdsl.orchestrate.workload.load_fleet reads (name, qubits, clops, two_qubit_error, "
            "overhead), with the snapshot's other figures and their sources."
        ),
        "qpus": qpus,
        "overhead": {
            "value": OVERHEAD_S,
            "unit": "seconds per batch",
            "assumption": True,
            "note": (
                "IBM publishes no per-job overhead as such. This is the ibm backend's JOB_OVERHEAD_SECONDS, "
                "derived from IBM's one published usage example: the 'Workload usage' guide "
                "(https://quantum.cloud.ibm.com/docs/guides/estimate-job-run-time) shows a usage estimate of "
                f"{PUBLISHED_USAGE_SECONDS:.4g} quantum seconds for a two-qubit Bell circuit at SamplerV2's default "
                f"{PUBLISHED_USAGE_SHOTS} shots, whose shots take {PUBLISHED_USAGE_SHOTS} x "
                f"{PUBLISHED_SHOT_SECONDS * 1e6:.0f} us (default_rep_delay 250 us + circuit) = "
                f"{PUBLISHED_USAGE_SHOTS * PUBLISHED_SHOT_SECONDS:.3g} s. One example on an unnamed device: "
                "an estimate, labelled as an assumption. (Until 2026-11 the case study assumed 0.5 s.)"
            ),
        },
        "wire_cut_sampling_overhead": WIRE_CUT,
    }


# ---------------------------------------------------------------------------------------------
# Circuits
# ---------------------------------------------------------------------------------------------


def benchmark_circuit(family: str, size: int):
    """The MQT Bench circuit ``family`` at ``size`` (target-independent level), with a final
    measurement of every qubit added when the benchmark has none (a job is sampled)."""
    from mqt.bench import BenchmarkLevel, get_benchmark

    qc = get_benchmark(benchmark=family, level=BenchmarkLevel.INDEP, circuit_size=size, **FAMILIES[family])
    added = False
    if not any(inst.operation.name == "measure" for inst in qc.data):
        qc.measure_all()
        added = True
    return qc, added


def _is_two_qubit(inst) -> bool:
    return inst.operation.num_qubits == 2 and inst.operation.name not in ("barrier",)


def esp(circuit, target) -> tuple[float, float]:
    """(ESP, log10 ESP) of a transpiled circuit from the target's calibrated errors (see
    ``ESP_DEFINITION``); an instruction the target gives no error counts as error-free."""
    terms = []
    for inst in circuit.data:
        name = inst.operation.name
        if name in ("barrier", "delay"):
            continue
        qargs = tuple(circuit.find_bit(q).index for q in inst.qubits)
        props = target[name].get(qargs) if name in target.operation_names else None
        err = props.error if props is not None and props.error is not None else 0.0
        if err >= 1.0:
            return 0.0, -math.inf
        if err > 0.0:
            terms.append(math.log1p(-err))
    log = math.fsum(terms)
    return math.exp(log), log / math.log(10)


def transpile_profile(circuit, name: str) -> dict:
    """Depth, gate counts and ESP of ``circuit`` transpiled for device ``name``."""
    t0 = time.perf_counter()
    tq = pass_manager(name).run(circuit)
    seconds = time.perf_counter() - t0
    p, log10 = esp(tq, usable_target(name))
    ops = tq.count_ops()
    return {
        "depth": int(tq.depth()),
        "two_qubit_depth": int(tq.depth(filter_function=_is_two_qubit)),
        "two_qubit_gates": int(sum(1 for inst in tq.data if _is_two_qubit(inst))),
        "gates": int(sum(v for k, v in ops.items() if k not in ("barrier", "delay", "measure"))),
        "measurements": int(ops.get("measure", 0)),
        "esp": p,
        "log10_esp": log10,
        "transpile_seconds": round(seconds, 3),
    }


def circuit_record(family: str, size: int, devices=None, qc=None) -> dict:
    """The library entry of one benchmark circuit, transpiled for every device whose usable
    region (:func:`usable_qubits`) is wide enough (``devices``: a subset of the fleet)."""
    if qc is None:
        qc, added = benchmark_circuit(family, size)
    else:
        qc, added = qc
    ops = qc.count_ops()
    record = {
        "name": f"{family}-{qc.num_qubits}",
        "family": family,
        "size": size,
        "qubits": int(qc.num_qubits),
        "depth": int(qc.depth()),
        "two_qubit_gates": int(sum(1 for inst in qc.data if _is_two_qubit(inst))),
        "gates": int(sum(v for k, v in ops.items() if k not in ("barrier", "delay", "measure"))),
        "measurement_added": added,
        "on": {},
    }
    for name in devices or FLEET:
        if usable_qubits(name) >= qc.num_qubits:
            record["on"][name] = transpile_profile(qc, name)
    return record


def circuits_document(sizes=SIZES, families=None, budget_s: float = 1200.0, progress: bool = True) -> dict:
    """The whole ``mqt_circuits.json`` document; stops a family at the first size MQT Bench
    cannot build or whose transpilation is slower than ``SLOW_TRANSPILE_S``, and everything at
    ``budget_s``."""
    families = list(families or FAMILIES)
    jobs = [(f, s) for f in families for s in sizes]
    records, dropped = [], []
    stopped: dict[str, str] = {}
    start = time.perf_counter()

    from contextlib import nullcontext

    if progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    else:
        bar = nullcontext()
    with bar:
        task = bar.add_task("circuits", total=len(jobs)) if progress else None
        for family, size in jobs:
            if progress:
                bar.update(task, description=f"{family}-{size}")
            if family in stopped:
                dropped.append({"name": f"{family}-{size}", "reason": stopped[family]})
            elif time.perf_counter() - start > budget_s:
                dropped.append({"name": f"{family}-{size}", "reason": f"generation budget of {budget_s:.0f} s spent"})
            else:
                try:
                    built = benchmark_circuit(family, size)
                except Exception as exc:  # noqa: BLE001 - MQT Bench refuses some sizes
                    reason = f"MQT Bench {md.version('mqt.bench')} cannot build it: {type(exc).__name__}: {exc}"
                    dropped.append({"name": f"{family}-{size}", "reason": reason})
                    stopped[family] = f"larger than {family}-{size}, which MQT Bench cannot build"
                    rec = None
                else:
                    try:
                        rec = circuit_record(family, size, qc=built)
                    except Exception as exc:  # noqa: BLE001 - recorded, and the family stops
                        reason = f"transpilation failed: {type(exc).__name__}: {exc}"
                        dropped.append({"name": f"{family}-{size}", "reason": reason})
                        stopped[family] = f"larger than {family}-{size}, whose transpilation failed"
                        rec = None
                if rec is not None:
                    if not rec["on"]:
                        dropped.append({"name": rec["name"], "reason": "wider than every fleet device"})
                    else:
                        records.append(rec)
                    slowest = max((d["transpile_seconds"] for d in rec["on"].values()), default=0.0)
                    if slowest > SLOW_TRANSPILE_S:
                        stopped[family] = (
                            f"{rec['name']} took {slowest:.0f} s to transpile (> {SLOW_TRANSPILE_S:.0f} s); "
                            "larger sizes dropped"
                        )
            if progress:
                bar.advance(task)
    elapsed = time.perf_counter() - start
    return {
        "generated_by": "scripts/ground_orchestration.py",
        "generated_on": _dt.date.today().isoformat(),
        "versions": versions(),
        "licence": licences(),
        "benchmark_level": "indep (MQT Bench target-independent level: gates of Qiskit's standard library, "
        "transpiled by MQT Bench at optimization level 2, seed 10)",
        "transpiler": {
            "function": "qiskit.transpiler.generate_preset_pass_manager",
            "optimization_level": OPTIMIZATION_LEVEL,
            "seed_transpiler": SEED_TRANSPILER,
            "target": (
                "the fake backend's target without the two-qubit gate entries whose calibrated "
                "error is 1 (failed calibrations; see ibm_fleet.json couplers_reported_error_1)"
            ),
        },
        "esp": {"definition": ESP_DEFINITION, "reference": ESP_REFERENCE},
        "devices": {
            name: {"qubits": fake_backend(name).num_qubits, "usable_qubits": usable_qubits(name)} for name in FLEET
        },
        "sizes": list(sizes),
        "families": families,
        "generation_seconds": round(elapsed, 1),
        "notes": [
            "depth is QuantumCircuit.depth() (barriers and delays excluded); two_qubit_depth counts only "
            "two-qubit gates, the layers CLOPS_h counts.",
            "Circuits without measurements (qaoa, bmw_quark_cardinality, ...) get measure_all() before "
            "transpiling (measurement_added), so every job is sampled and its readout counts in the ESP.",
            "A circuit has an entry for every fleet device whose usable region (usable_qubits: the largest "
            "connected part of the coupling map without couplers reported with error 1) has at least as many "
            "qubits, and none for the others.",
            "Optimization level 1 keeps a perfect trivial layout when one exists (it is not noise-aware then), "
            "so small circuits sit on qubits 0..n-1 whatever their errors: the ESP is what level 1 gives.",
            "esp is exp(log ESP); log10_esp keeps the value where esp is below double precision.",
        ],
        "dropped": dropped,
        "circuits": records,
    }


def write(doc: dict, path: Path) -> None:
    atomic_write(path, json.dumps(doc, indent=1, sort_keys=False) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: the package data folder)")
    ap.add_argument("--quick", action="store_true", help=f"only sizes {QUICK_SIZES} (needs --out)")
    ap.add_argument("--budget", type=float, default=1200.0, help="seconds before the remaining circuits are dropped")
    ap.add_argument("--fleet-only", action="store_true")
    args = ap.parse_args(argv)
    if args.out is None:
        if args.quick:
            ap.error("--quick needs --out: it would replace the shipped files with a partial library")
        args.out = DATA
    t0 = time.perf_counter()
    write(fleet_document(), args.out / "ibm_fleet.json")
    print(f"wrote {args.out / 'ibm_fleet.json'}")
    if not args.fleet_only:
        doc = circuits_document(QUICK_SIZES if args.quick else SIZES, budget_s=args.budget)
        write(doc, args.out / "mqt_circuits.json")
        print(
            f"wrote {args.out / 'mqt_circuits.json'}: {len(doc['circuits'])} circuits, "
            f"{len(doc['dropped'])} dropped, {doc['generation_seconds']} s"
        )
    print(f"total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
