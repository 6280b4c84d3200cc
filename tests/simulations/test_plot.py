"""eoscope.plot: every figure function draws into what it is given (or a new Figure) and returns the Figure,
writes no file, leaves the matplotlib backend alone, and writes its text in mathematical notation; the
CLI alone chooses Agg; ``eoscope reproduce --out DIR`` writes only inside DIR."""
import math
import os
import re
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

from eoscope import plot
from eoscope.derivations import build_model, get_loss, single_neuron
from eoscope.dynamics import continue_orbit, orbit_diagram, trajectory

SIMULATIONS = Path(__file__).resolve().parents[2] / "simulations"
D = 20


@pytest.fixture(scope="module")
def sqrt1p():
    return single_neuron(get_loss("sqrt1p"))


@pytest.fixture(scope="module")
def results(sqrt1p):
    """One small result of every kind a figure draws."""
    from eoscope.simulations._mean_model_sweep import critical_eta, mean_model_limits
    from eoscope.simulations._network import network_sweep
    from eoscope.simulations._sweep import sweep

    factorization = single_neuron(get_loss(expression="(1-s)**2/2"))
    mean = build_model("mean-model", params={"d": D})
    network = network_sweep(np.geomspace(0.3, 3.0, 4) * critical_eta(D), d=D, n=30, n_test=50, steps_factor=2)
    init = {"a_minus": 0.5 / D, "a_plus": 0.5 / D, "b": 0.0}
    return {
        "runs": [trajectory(sqrt1p, 0.1, {"x": 1e-3, "y": math.sqrt(15.0)}, max_steps=3000, stride=1),
                 trajectory(sqrt1p, 0.1, {"x": 0.1, "y": math.sqrt(30.0)}, max_steps=3000, stride=1)],
        "diagram": orbit_diagram(sqrt1p, np.linspace(0.05, 0.5, 12), {"x": 0.1, "y": 4.0}, observables=["y"],
                                 transient=300, keep=8),
        "continuation": continue_orbit(factorization, 0.5, {"x": 1.0, "y": 1.0}, 1, (0.5, 1.31), max_period=8),
        "ds": sweep(sqrt1p, "0.01:1:6", {"x0": "0.1", "y0": "0.2:12:5"}, eta_scale="log", max_steps=2000),
        "mean": mean,
        "mean_ds": sweep(mean, "0.3:10:6", {"A0": "1e-4:0.3:4"}, eta_scale="log", eta_unit="critical",
                         axis_scales={"A0": "log"}, max_steps=2000),
        "network": network,
        "overlay": mean_model_limits(network.etas, D, network.init),
        "rows": mean_model_limits(np.array([0.5, 2.0, 4.0]) * critical_eta(D), D, init),
    }


def calls(sqrt1p, r):
    """(name, draw(target)) for every public figure function; target = {} (own Figure), {"ax": ax} or
    {"fig": fig}."""
    return [
        ("trajectories", lambda **t: plot.trajectories(sqrt1p, r["runs"], labels=["stable", "EoS"], **t)),
        ("orbit_diagram", lambda **t: plot.orbit_diagram(r["diagram"], **t)),
        ("continuation", lambda **t: plot.continuation(r["continuation"], **t)),
        ("phase", lambda **t: plot.phase(r["ds"], sqrt1p, **t)),
        ("phase_relative", lambda **t: plot.phase_relative(r["mean_ds"], r["mean"], **t)),
        ("network", lambda **t: plot.network(r["network"], r["overlay"], scale="log", **t)),
        ("mean_model_limits", lambda **t: plot.mean_model_limits(r["rows"], D, 1.0 / D, **t)),
    ]


MULTI_PANEL = {"trajectories", "orbit_diagram", "phase", "phase_relative", "network", "mean_model_limits"}


@pytest.fixture
def guarded(monkeypatch, tmp_path):
    """No backend change and no file: matplotlib.use and Figure.savefig fail; the working folder is empty."""
    def refuse(*args, **kwargs):
        raise AssertionError("a figure function called matplotlib.use or savefig")

    monkeypatch.setattr(matplotlib, "use", refuse)
    monkeypatch.setattr(Figure, "savefig", refuse)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    assert not any(tmp_path.rglob("*")), "a figure function wrote a file"


def test_public_names():
    assert sorted(plot.__all__) == sorted(name for name, _ in calls(None, {}))
    for name in plot.__all__:
        doc = getattr(plot, name).__doc__
        assert doc.startswith(f"{name}(") and "Arguments:" in doc and "Returns:" in doc and "Raises:" in doc, name


def test_each_function_creates_and_returns_its_own_figure(sqrt1p, results, guarded):
    for name, draw in calls(sqrt1p, results):
        fig = draw()
        assert isinstance(fig, Figure), name
        assert fig.axes, name


def test_each_function_draws_into_a_given_ax(sqrt1p, results, guarded):
    for name, draw in calls(sqrt1p, results):
        host = Figure()
        ax = host.subplots()
        assert draw(ax=ax) is host, name
        assert ax.has_data(), name


def test_multi_panel_functions_draw_into_a_given_figure_or_subfigure(sqrt1p, results, guarded):
    for name, draw in calls(sqrt1p, results):
        if name not in MULTI_PANEL:
            continue
        host = Figure(figsize=(16, 10), layout="constrained")
        left, right = host.subfigures(1, 2)
        assert draw(fig=right) is host, name
        assert len(host.axes) >= 2, name
        with pytest.raises(ValueError):
            draw(fig=left, ax=host.axes[0])


def _texts(fig):
    """Every title, axis label, legend entry and text of a figure (suptitles included)."""
    texts = []
    for sub in [fig, *fig.subfigs]:
        if getattr(sub, "_suptitle", None) is not None:
            texts.append(sub._suptitle.get_text())
        for legend in sub.legends:
            texts += [t.get_text() for t in legend.get_texts()]
    for ax in fig.get_axes():
        texts += [ax.get_title(loc) for loc in ("left", "center", "right")]
        texts += [ax.get_xlabel(), ax.get_ylabel()]
        if ax.get_legend() is not None:
            texts += [t.get_text() for t in ax.get_legend().get_texts()]
        texts += [t.get_text() for t in ax.texts]
    return [t for t in texts if t]


def test_text_is_mathematical_notation_not_python(sqrt1p, results, guarded):
    """Outside $…$ no braces (dict reprs) and no underscores (field names), and every text renders."""
    from eoscope.simulations._figure_text import renders

    for name, draw in calls(sqrt1p, results):
        fig = draw()
        texts = _texts(fig)
        assert texts, name
        for text in texts:
            plain = re.sub(r"\$[^$]*\$", "", text)
            assert "{" not in plain and "}" not in plain, (name, text)
            assert "_" not in plain, (name, text)
            assert renders(text), (name, text)
        fig.canvas.draw()  # lays out and renders every text (mathtext errors surface here)


def test_trajectory_figure_shows_every_step(sqrt1p, results, guarded):
    """At stride 1 the EoS run's x alternates sign every step, and the state panel draws every record."""
    eos = results["runs"][1]
    assert np.all(np.diff(eos.history_step) == 1)
    x = eos.history_state[1:40, 0]
    assert np.all(np.sign(x[1:]) == -np.sign(x[:-1]))
    fig = plot.trajectories(sqrt1p, [eos])
    state = next(ax for ax in fig.axes if ax.get_title().startswith("state"))
    x_line = state.get_lines()[0]
    assert len(x_line.get_xdata()) == len(eos.history_step)


def test_one_two_over_eta_entry_per_step_size(sqrt1p, results, guarded):
    fig = plot.trajectories(sqrt1p, results["runs"])
    sharpness = next(ax for ax in fig.axes if "sharpness" in ax.get_title())
    labels = [t.get_text() for t in sharpness.get_legend().get_texts()]
    assert sum("2/\\eta" in label for label in labels) == 1, labels


def test_lyapunov_exponents_drawn_above_the_zero_line(results, guarded):
    fig = plot.orbit_diagram(results["diagram"])
    panel = fig.axes[1]
    zero = [line for line in panel.get_lines() if np.all(np.asarray(line.get_ydata()) == 0)
            and len(line.get_ydata()) == 2]
    exponents = [line for line in panel.get_lines() if line.get_label().startswith("$\\lambda")]
    assert zero and exponents
    assert min(line.get_zorder() for line in exponents) > max(line.get_zorder() for line in zero)


def test_no_figure_module_chooses_a_backend():
    """No module of simulations calls matplotlib.use (and pyplot appears nowhere in the figure modules)."""
    for path in SIMULATIONS.glob("*.py"):
        text = path.read_text()
        assert "matplotlib.use(" not in text, path.name
        if path.name.startswith(("_figure_", "_reproduce_")):
            assert "import matplotlib.pyplot" not in text, path.name


def test_the_cli_chooses_agg_without_importing_matplotlib():
    """The CLI selects Agg through MPLBACKEND; a command that draws nothing never imports matplotlib."""
    import subprocess

    code = ("import os, sys; from eoscope.simulations.cli import main; "
            "main(['derive', 'single-neuron', '--loss', 'square', '--json']); "
            "print(os.environ['MPLBACKEND'], 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-2:] == ["Agg", "False"]


def test_importing_eoscope_plot_keeps_the_notebook_backend():
    import subprocess

    code = ("import matplotlib; matplotlib.use('svg'); import eoscope.plot, eoscope.simulations._reproduce_phase; "
            "print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "svg"


class _WriteLog:
    """Every path opened for writing, renamed onto or created as a folder while active (an audit hook)."""

    active = None

    @classmethod
    def hook(cls, event, args):
        log = cls.active
        if log is None:
            return
        if event == "open" and args[0] is not None and not isinstance(args[0], int):
            mode, flags = args[1], args[2]
            if (mode and any(c in str(mode) for c in "wax+")) or (flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)):
                log.append(os.path.abspath(os.fsdecode(args[0])))
        elif event in ("os.rename", "os.link", "os.symlink"):
            log.append(os.path.abspath(os.fsdecode(args[1])))
        elif event == "os.mkdir":
            log.append(os.path.abspath(os.fsdecode(args[0])))


sys.addaudithook(_WriteLog.hook)


def _run_cli_logged(argv) -> tuple[int, list[str]]:
    from eoscope.simulations.cli import main

    _WriteLog.active = log = []
    try:
        code = main(argv)
    finally:
        _WriteLog.active = None
    cache = os.path.realpath(os.environ["EOSCOPE_CACHE_DIR"])  # the kernel cache is eoscope's own, by design
    return code, [p for p in log if not os.path.realpath(p).startswith(cache + os.sep)]


def test_reproduce_out_writes_only_inside_out(tmp_path, monkeypatch):
    """--out DIR with DIR = <cwd>/docs/figures: the claims page goes to DIR/claims.md, not docs/claims.md;
    every file written (audit hook, kernel cache aside) is inside DIR."""
    monkeypatch.setenv("HOME", str(tmp_path))
    work = tmp_path / "work"
    (work / "docs").mkdir(parents=True)
    monkeypatch.chdir(work)
    out = work / "docs" / "figures"
    code, written = _run_cli_logged(["reproduce", "--out", str(out), "--only", "claims"])  # every job joins --out alike
    assert code == 0
    assert written, "the audit hook saw no write"
    outside = [p for p in written if not Path(os.path.realpath(p)).is_relative_to(os.path.realpath(out))]
    assert not outside, outside
    assert (out / "claims.md").is_file()
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert all(f.startswith(os.path.join("work", "docs", "figures") + os.sep) for f in files), files


def test_reproduce_without_out_writes_docs(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    work = tmp_path / "work"
    (work / "docs").mkdir(parents=True)
    monkeypatch.chdir(work)
    code, written = _run_cli_logged(["reproduce", "--only", "claims"])
    assert code == 0
    assert (work / "docs" / "claims.md").read_text().startswith("<!-- Generated from the claim registry")
    assert (work / "docs" / "figures").is_dir()
    docs = os.path.realpath(work / "docs")
    assert written and all(Path(os.path.realpath(p)).is_relative_to(docs) for p in written), written
