"""The walkthrough notebooks (notebooks/*.ipynb) run top to bottom at the ``tiny`` preset.

They are executed with nbclient in file order, in one temporary work directory handed to them
through ``FOLEYGAN_NOTEBOOK_WORKDIR`` (notebook 02 makes the dataset and the TRN run that 03 and 04
reuse; each notebook also creates what it needs when run alone, e.g. ``pytest -k 03``). A cell
error fails the test with the cell's traceback. The kernel is ipykernel's ``python3``, which
jupyter_client starts with this interpreter (``sys.executable``; checked by an appended cell).

The committed notebooks carry no outputs (clear them before committing: notebooks/README.md) and start with a ``parameters`` cell (papermill style)
holding ``PRESET = "tiny"``.
"""

import ast
import os
import resource
import sys
import time

import nbformat
import pytest
from nbclient import NotebookClient

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK_DIR = os.path.join(REPO, "notebooks")
NOTEBOOKS = (
    "01_audio_representation.ipynb",
    "02_dataset_and_action_recognition.ipynb",
    "03_train_foleygan.ipynb",
    "04_generate_and_evaluate.ipynb",
)
CELL_TIMEOUT_S = 900          # one cell (GAN tracing under load is the slowest)
MAX_COMMITTED_BYTES = 60_000  # sources only: outputs (images, audio, video) must not be committed
KERNEL_CHECK = "import sys; print('KERNEL-PYTHON=' + sys.executable)"


def _read(name):
    return nbformat.read(os.path.join(NOTEBOOK_DIR, name), as_version=4)


@pytest.fixture(scope="module")
def notebook_workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("notebooks")


def run_notebook(name, workdir, monkeypatch):
    """Execute ``name`` in ``workdir`` (its cwd and FOLEYGAN_NOTEBOOK_WORKDIR); returns seconds."""
    monkeypatch.setenv("FOLEYGAN_NOTEBOOK_WORKDIR", str(workdir))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    nb = _read(name)
    nb.cells.append(nbformat.v4.new_code_cell(KERNEL_CHECK))
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    t0, cpu0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    client.execute()   # raises CellExecutionError (with the cell's traceback) on any cell error
    seconds, cpu1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)   # the kernel and its subprocesses
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    assert f"KERNEL-PYTHON={sys.executable}" in printed, f"the kernel did not run {sys.executable}: {printed!r}"
    print(f"{name}: {seconds:.1f} s wall, {cpu:.1f} s CPU")
    return nb, seconds


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebook_is_clean_and_parameterised(name):
    path = os.path.join(NOTEBOOK_DIR, name)
    nb = _read(name)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and "parameters" in code[0].metadata.get("tags", []), "the first code cell must be tagged 'parameters'"
    params = {t.id: ast.literal_eval(n.value) for n in ast.parse(code[0].source).body
              if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    assert params.get("PRESET") == "tiny"
    with_outputs = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not with_outputs, f"{name}: cells {with_outputs} have outputs — clear them before committing"
    assert os.path.getsize(path) < MAX_COMMITTED_BYTES
    assert nb.cells[0].cell_type == "markdown" and "§" in nb.cells[0].source, "intro must cite the paper"


def test_01_audio_representation(notebook_workdir, monkeypatch):
    nb, _ = run_notebook(NOTEBOOKS[0], notebook_workdir, monkeypatch)
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 5, "the codec figures did not render"


def test_02_dataset_and_action_recognition(notebook_workdir, monkeypatch):
    run_notebook(NOTEBOOKS[1], notebook_workdir, monkeypatch)
    assert (notebook_workdir / "shards" / "manifest.json").exists()
    assert (notebook_workdir / "runs" / "trn" / "eval.json").exists()


def test_03_train_foleygan(notebook_workdir, monkeypatch):
    run_notebook(NOTEBOOKS[2], notebook_workdir, monkeypatch)
    assert (notebook_workdir / "runs" / "gan" / "checkpoints" / "checkpoint").exists()


def test_04_generate_and_evaluate(notebook_workdir, monkeypatch):
    nb, _ = run_notebook(NOTEBOOKS[3], notebook_workdir, monkeypatch)
    foley = notebook_workdir / "foley"
    assert (foley / "foley.mp4").stat().st_size > 0
    assert (foley / "report" / "report.md").exists()
    videos = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if "<video" in o.get("data", {}).get("text/html", "")]
    assert videos, "the foleyed video is not shown inline"
