"""Fault injection, the fast subset that runs in CI: a few ``kill -9`` trials at random moments,
SIGTERM and a closed terminal, and the model worker dying or failing to load. The 50-trial
suites run with ``python -m benchmarks.reliability`` (same trial code: ``faultlib.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.faultlib import (
    FaultReport,
    answer,
    env_for,
    kill9_trials,
    prepare_home,
    quit_trials,
    stored_ids,
    teach_cmd,
    two_session_trials,
    worker_kill_trials,
)
from tests.tmux_driver import Tmux, require_tmux

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _tmux() -> None:
    require_tmux()


def _passed(report: FaultReport, trials: int) -> None:
    assert not report.failures, "\n".join(report.failures)
    assert report.trials == trials
    assert report.lost == 0 and report.duplicated == 0 and report.reasked == 0, report
    assert report.found == report.acknowledged


@pytest.mark.parametrize(("recipe", "trials"), [("textcat.teach", 3), ("ner.manual", 2)])
def test_kill_9_at_random_moments_loses_nothing(tmp_path: Path, recipe: str, trials: int):
    report = kill9_trials(tmp_path, trials=trials, seed=1, recipe=recipe)
    _passed(report, trials)


@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_closed_terminal_save_everything(tmp_path: Path, how: str) -> None:
    report = quit_trials(tmp_path, how, trials=1)
    _passed(report, 1)
    assert report.acknowledged == 6


def test_worker_killed_ui_keeps_serving_and_saving(tmp_path: Path) -> None:
    _passed(worker_kill_trials(tmp_path, trials=1), 1)


@pytest.mark.parametrize("same", [True, False], ids=["same-dataset", "two-datasets"])
def test_two_sessions_at_once(tmp_path: Path, same: bool) -> None:
    report = two_session_trials(tmp_path, trials=1, same_dataset=same, seed=3)
    _passed(report, 1)
    assert report.acknowledged == 10


def test_model_that_fails_to_load_falls_back_with_a_logged_warning(tmp_path: Path) -> None:
    home = tmp_path / "home"
    prepare_home(home)
    broken = tmp_path / "broken.joblib"
    broken.write_bytes(b"this is not a pickled model")
    tm = Tmux(tmp_path / "tmux")
    try:
        tm.start(teach_cmd() + ["--model", str(broken)], env=env_for(home))
        tm.wait_for("model worker stopped", timeout=60)
        shown = answer(tm, ["x", "a", "x"])
        tm.keys("q")
        assert tm.wait_exit(timeout=30) == 0
    finally:
        tm.close()
    assert sorted(stored_ids(home)) == sorted(shown)
    log = (home / "logs" / "worker.log").read_text()
    assert "Traceback" in log and "can't load the saved model" in log
