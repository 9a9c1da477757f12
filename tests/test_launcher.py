"""Under ``mpiexec``, each rank gets its share of the machine's cores as BLAS threads
(:mod:`glassnet.launcher`), unless the user chose a number: checked in fresh processes,
whose environment says what a launcher would, by what the BLAS itself reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from glassnet.launcher import LOCAL_SIZE_VARIABLES, SIZE_VARIABLES, THREAD_VARIABLES

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
SHOW = (
    "import json, os, glassnet, threadpoolctl; "
    "blas = [p['num_threads'] for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas']; "
    "print(json.dumps({'env': os.environ.get('OPENBLAS_NUM_THREADS'), 'blas': blas}))"
)


def _started(**launcher: str) -> dict:
    """What a process whose environment holds ``launcher``'s variables (and none of the
    MPI or thread variables of this one) reports after ``import glassnet``."""
    pytest.importorskip("threadpoolctl", reason="reading the BLAS threads needs threadpoolctl")
    drop = {*SIZE_VARIABLES, *LOCAL_SIZE_VARIABLES, *THREAD_VARIABLES}
    env = {k: v for k, v in os.environ.items() if k not in drop} | launcher
    done = subprocess.run(
        [sys.executable, "-c", SHOW], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("launcher", "ranks_here"),
    [
        ({"PMI_SIZE": "2", "MPI_LOCALNRANKS": "2"}, 2),  # MPICH's hydra
        ({"OMPI_COMM_WORLD_SIZE": "8", "OMPI_COMM_WORLD_LOCAL_SIZE": "1"}, 1),  # one per node
        ({"PMI_SIZE": "4"}, 4),  # no local count: every rank taken to be here
    ],
)
def test_each_rank_gets_its_share_of_the_cores(launcher, ranks_here) -> None:
    found = _started(**launcher)
    share = max(1, CORES // ranks_here)
    assert found["env"] == str(share)
    assert found["blas"] and all(n == share for n in found["blas"])


def test_a_thread_count_the_user_set_is_kept() -> None:
    found = _started(PMI_SIZE="2", MPI_LOCALNRANKS="2", OPENBLAS_NUM_THREADS="3")
    assert found["env"] == "3"
    assert all(n == min(3, CORES) or n == 3 for n in found["blas"])


def test_one_process_is_left_as_it_is() -> None:
    found = _started(PMI_SIZE="1")
    assert found["env"] is None
