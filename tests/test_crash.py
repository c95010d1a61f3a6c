"""Crash safety: `reformqa ingest` SIGKILLed at many points, two ingests at once, and the
consistency checker itself.

After every kill the manifest, the Chroma store and the keyword index must agree
(`IndexStore.check_consistency`), the manifest must hold exactly the state before or
after the killed run (never a mix), search must answer, and the next ingest must finish.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from filelock import FileLock

from assistant.facade import Assistant
from index.pipeline import Ingestor
from index.settings import Settings
from index.store import IndexStore

REFORMQA = Path(sys.executable).with_name("reformqa")
ENV = {**os.environ, "REFORMQA_EMBEDDING__MODEL": "hash:256"}
KILL_BUDGET_S = 150.0
"""Wall-clock bound of the kill loop. It stops at MAX_KILLS first: 20 kills take about 35 s
on a 2-core machine; the bound is generous so that a heavily loaded machine still lands
MIN_KILLS (at load average ~9, 40 s gave only 10)."""
MAX_KILLS = 20
MIN_KILLS = 12
STAGES = ("read", "embed", "keyword")
"""Progress-bar stages printed on stderr: killing right after one lands inside that stage."""


def _cmd(settings: Settings, *args: str) -> list[str]:
    exe = [str(REFORMQA)] if REFORMQA.exists() else [sys.executable, "-m", "reformqa"]
    return [*exe, "--data-dir", str(settings.data_dir), "--corpus-dir", str(settings.corpus_dir), *args]


def _run(settings: Settings, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_cmd(settings, *args), env=ENV, capture_output=True, text=True, timeout=timeout)


class _Ingest:
    """A `reformqa ingest` subprocess whose stderr (progress bars) is collected as it runs."""

    def __init__(self, settings: Settings, *args: str) -> None:
        self.proc = subprocess.Popen(
            _cmd(settings, "ingest", *args),
            env=ENV,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.err = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        while chunk := self.proc.stderr.read1(4096):  # type: ignore[attr-defined]
            self.err += chunk

    def wait_for(self, stage: str, timeout: float = 30) -> bool:
        """True once `stage` appeared on stderr; False if the process ended first."""
        end = time.monotonic() + timeout
        while stage.encode() not in self.err:
            if self.proc.poll() is not None or time.monotonic() > end:
                return False
            time.sleep(0.005)
        return True

    def kill(self) -> bool:
        """SIGKILL; True if the process was still running."""
        alive = self.proc.poll() is None
        if alive:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._reader.join(timeout=5)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return alive

    def finish(self, timeout: float = 120) -> tuple[int, str, str]:
        """Wait for the end: (exit code, stdout, stderr)."""
        assert self.proc.stdout is not None
        out = self.proc.stdout.read()
        self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        self.proc.stdout.close()
        return self.proc.returncode, out.decode(), self.err.decode(errors="replace")


_ZYGOTE = r"""
import os, signal, sys
import chromadb  # noqa: F401 - imported lazily by an ingest; done once here
import reformqa.cli
from index.keyword import tokenize

tokenize("预热")  # jieba's dictionary, loaded once
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children
print("ready", flush=True)
for line in sys.stdin:
    log, *args = line.rstrip("\n").split("\t")
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        try:
            reformqa.cli.main(args)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        print(f"\nexit {code}", flush=True)
        sys.stderr.flush()
        os._exit(code)
    print(pid, flush=True)
"""


class _Zygote:
    """Forks `reformqa` CLI runs from one process that has done its imports.

    A fresh `reformqa` spends two seconds (far more on a loaded machine) importing before
    it touches the index, so a kill at a random delay mostly hits the imports. Forked
    from a process that has them, a run is in the ingest itself from its first instant.
    """

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _ZYGOTE], env=ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline() == "ready\n"
        self.n = 0

    def start(self, settings: Settings, *args: str) -> _Forked:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.n += 1
        log = self.tmp / f"run-{self.n}.log"
        argv = _cmd(settings, "ingest", *args)
        self.proc.stdin.write("\t".join([str(log), *argv[argv.index("--data-dir") :]]) + "\n")
        self.proc.stdin.flush()
        return _Forked(int(self.proc.stdout.readline()), log)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


class _Forked:
    """One forked run: its pid and the file its stdout and stderr go to."""

    def __init__(self, pid: int, log: Path) -> None:
        self.pid, self.log = pid, log

    def running(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def wait_for(self, stage: str, timeout: float = 30) -> bool:
        end = time.monotonic() + timeout
        while not (self.log.exists() and stage.encode() in self.log.read_bytes()):
            if not self.running() or time.monotonic() > end:
                return False
            time.sleep(0.005)
        return True

    def finish(self, timeout: float = 120) -> tuple[int, str]:
        """Wait for the end: (exit code, stdout and stderr)."""
        end = time.monotonic() + timeout
        while self.running() and time.monotonic() < end:
            time.sleep(0.01)
        out = self.log.read_text(encoding="utf-8", errors="replace")
        last = out.rstrip().rsplit("\n", 1)[-1]
        return (int(last.split()[1]) if last.startswith("exit ") else -1), out

    def kill(self) -> bool:
        """SIGKILL; True if the run was still going."""
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            return False
        while self.running():
            time.sleep(0.005)
        return True


# -- corpus and state helpers -------------------------------------------------------------
def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _corpus_state(corpus: Path) -> dict[str, str]:
    """What a finished ingest of `corpus` must hold: rel → sha256 of every report file."""
    return {p.relative_to(corpus).as_posix(): _sha(p) for p in sorted(corpus.rglob("*.txt"))}


def _manifest_state(settings: Settings) -> dict[str, str]:
    store = IndexStore.open_current(settings)
    try:
        return {d.rel: d.sha256 for d in store.db.docs()}
    finally:
        store.close()


def _check(settings: Settings, *, clean: bool = False) -> dict[str, str]:
    """Assert the three stores agree (and, if `clean`, hold no leftovers); returns the manifest."""
    store = IndexStore.open_current(settings)
    try:
        found = store.check_consistency()
        assert found.ok, found.problems
        if clean:
            assert found.clean, found.leftovers
        state = {d.rel: d.sha256 for d in store.db.docs()}
        assert found.docs == len(state) and found.chunks == len(store.db.chunk_ids())
    finally:
        store.vectors.refresh()  # let go of Chroma before the next writer starts
        store.close()
    return state


def _search_answers(settings: Settings) -> None:
    """A fresh process-like reader: search answers, every hit is a span of its report."""
    assistant = Assistant(settings)
    hits = assistant.search("开发区管理体制改革", 5)
    assert hits
    db = assistant.searcher.store.db
    for h in hits:
        text = db.doc_text(h.chunk.doc_id)
        assert text is not None and text[0][h.chunk.start : h.chunk.end] == h.chunk.text
    assistant.searcher.store.vectors.refresh()
    assistant.searcher.store.close()


class _Mutator:
    """Edits, adds, removes and renames report files between runs."""

    def __init__(self, corpus: Path, seed: int) -> None:
        self.corpus = corpus
        self.rng = random.Random(seed)
        self.texts = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))]
        self.n = 0

    def _new_text(self) -> str:
        base = self.rng.choice(self.texts)
        return base.replace("改革", f"改革(第{self.n}稿)", self.rng.randint(1, 6))

    def step(self) -> str:
        self.n += 1
        files = sorted(self.corpus.rglob("*.txt"))
        op = self.rng.choice(["edit", "edit", "add", "remove", "rename"] if len(files) > 4 else ["add"])
        if op == "edit":
            for p in self.rng.sample(files, min(3, len(files))):
                text = p.read_text(encoding="utf-8")
                cut = self.rng.randrange(len(text))
                p.write_text(f"{text[:cut]}第{self.n}次修订:园区审批改革提速。{text[cut:]}", encoding="utf-8")
        elif op == "add":
            for _ in range(self.rng.randint(1, 3)):
                (self.corpus / f"new_{self.n}_{self.rng.randrange(1000)}.txt").write_text(
                    self._new_text(), encoding="utf-8"
                )
        elif op == "remove":
            self.rng.choice(files).unlink()
        else:
            p = self.rng.choice(files)
            p.rename(p.with_name(f"renamed_{self.n}.txt"))
        return op


def _grow(corpus: Path) -> None:
    """Twenty reports, so that an ingest spends long enough in each stage to be killed there."""
    seeds = sorted(corpus.glob("*.txt"))
    for i in range(15):
        text = seeds[i % len(seeds)].read_text(encoding="utf-8")
        (corpus / f"extra_{i:02d}.txt").write_text(text.replace("管理", f"管理{i}"), encoding="utf-8")


# -- the kill loop ------------------------------------------------------------------------
@pytest.fixture
def zygote(tmp_path: Path) -> Iterator[_Zygote]:
    z = _Zygote(tmp_path)
    yield z
    z.close()


@dataclass
class _Tally:
    kills: list[str] = field(default_factory=list)
    """Where each kill that landed inside a run was aimed."""
    finished: int = 0


def _kill_once(settings: Settings, zygote: _Zygote, where: str, rng: random.Random) -> bool:
    """Start an ingest, kill it at `where`; True if it was still running."""
    run: _Ingest | _Forked
    if where == "cold":  # the real entry point, imports and all, killed at a random moment
        run = _Ingest(settings)
        time.sleep(rng.uniform(0.5, 5.0))
    else:
        run = zygote.start(settings)
        if where == "time":
            time.sleep(rng.uniform(0.0, 1.5))
        elif run.wait_for(where):
            time.sleep(rng.uniform(0.0, 0.15))
    return run.kill()


def _kill_loop(settings: Settings, zygote: _Zygote, state: dict[str, str]) -> _Tally:
    rng = random.Random(20240601)
    mutate = _Mutator(settings.corpus_dir, seed=7)
    tally = _Tally()
    start = time.monotonic()
    n = 0
    while len(tally.kills) < MAX_KILLS and time.monotonic() - start < KILL_BUDGET_S:
        n += 1
        mutate.step()
        target = _corpus_state(settings.corpus_dir)
        if n % 6 == 0:  # now and then a run is left to finish: the one after kills must work
            code, log = zygote.start(settings, "--quiet").finish()
            assert code == 0 and "Traceback" not in log, log
            state = _check(settings, clean=True)
            assert state == target
            tally.finished += 1
            continue
        where = rng.choice([*STAGES, "keyword", "time", "time", "cold"])  # the commit window twice
        if _kill_once(settings, zygote, where, rng):
            tally.kills.append(where)
        after = _check(settings)
        # Atomic: the manifest is the state before the killed run or the one it was making.
        assert after in (state, target), f"a half-committed manifest after a kill in {where!r}: " + _diff(
            after, state, target
        )
        state = after
        _search_answers(settings)
    return tally


@pytest.mark.slow
def test_sigkill_at_many_points_never_breaks_the_index(fake_settings: Settings, zygote: _Zygote) -> None:
    corpus = fake_settings.corpus_dir
    _grow(corpus)
    Ingestor(fake_settings).run()
    state = _check(fake_settings, clean=True)
    assert state == _corpus_state(corpus)

    tally = _kill_loop(fake_settings, zygote, state)
    assert len(tally.kills) >= MIN_KILLS, f"only {len(tally.kills)} kills landed inside a run"
    assert {"read", "embed", "keyword", "time"} <= set(tally.kills), tally.kills
    # Search through the CLI, after a kill, before any repair.
    res = _run(fake_settings, "search", "天津高新区法定机构改革", "-k", "3", "--json")
    assert res.returncode == 0 and '"results"' in res.stdout, res.stderr

    code, log = zygote.start(fake_settings, "--quiet").finish()
    assert code == 0 and "Traceback" not in log, log
    assert _check(fake_settings, clean=True) == _corpus_state(corpus), "a report was lost or kept after its file went"
    _same_as_a_fresh_build(fake_settings)
    kinds = ", ".join(f"{k} {tally.kills.count(k)}" for k in sorted(set(tally.kills)))
    print(f"\n{len(tally.kills)} kills survived ({kinds}), {tally.finished} finished runs in between")


def _diff(after: dict[str, str], before: dict[str, str], target: dict[str, str]) -> str:
    keys = sorted(after.keys() | before.keys() | target.keys())
    rows = [(k, after.get(k, "-")[:8], before.get(k, "-")[:8], target.get(k, "-")[:8]) for k in keys]
    return "; ".join(f"{k}: now {a} before {b} target {t}" for k, a, b, t in rows if not a == b == t)


def _same_as_a_fresh_build(settings: Settings) -> None:
    """The index after all the kills has exactly the chunks a clean build of the corpus has."""
    fresh = settings.model_copy(update={"data_dir": settings.data_dir.parent / "fresh"})
    Ingestor(fresh).run()
    got, want = IndexStore.open_current(settings), IndexStore.open_current(fresh)
    try:
        assert got.db.chunk_ids() == want.db.chunk_ids()
        assert got.vectors.all_ids() == want.vectors.all_ids()
    finally:
        for s in (got, want):
            s.vectors.refresh()
            s.close()


# -- two ingests at once ------------------------------------------------------------------
def test_second_ingest_refuses_with_a_clear_message_or_waits(fake_settings: Settings) -> None:
    Ingestor(fake_settings).run()
    (fake_settings.corpus_dir / "new.txt").write_text("天津高新区新设审批局。\n" * 3, encoding="utf-8")
    lock = FileLock(str(fake_settings.data_dir / "ingest.lock"))
    lock.acquire()  # stands for a running ingest (a real one in the next test)
    try:
        refused = _run(fake_settings, "ingest", "--quiet")
        assert refused.returncode == 1
        assert "another ingest is running" in refused.stderr and "--wait" in refused.stderr
        assert "Traceback" not in refused.stderr
        waiting = _Ingest(fake_settings, "--quiet", "--wait", "60")
        time.sleep(3)
        assert waiting.proc.poll() is None, "--wait must queue behind the running ingest"
    finally:
        lock.release()
    code, out, err = waiting.finish()
    assert code == 0 and "1 added" in out, (code, out, err)
    assert _check(fake_settings, clean=True) == _corpus_state(fake_settings.corpus_dir)


def test_two_real_ingests_started_together_never_corrupt(fake_settings: Settings) -> None:
    _grow(fake_settings.corpus_dir)
    runs = [_Ingest(fake_settings, "--quiet") for _ in range(2)]
    results = [r.finish() for r in runs]
    codes = sorted(code for code, _, _ in results)
    assert codes[0] == 0, results
    for code, _, err in results:
        assert code == 0 or "another ingest is running" in err, err
        assert "Traceback" not in err
    assert _check(fake_settings, clean=True) == _corpus_state(fake_settings.corpus_dir)


# -- leftovers of a killed run ------------------------------------------------------------
def test_leftovers_of_a_killed_run_do_not_break_remove_or_ingest(fake_settings: Settings) -> None:
    """A kill after the keyword index of the next generation was written, before the commit."""
    Ingestor(fake_settings).run()
    store = IndexStore.open_current(fake_settings)
    gen = store.generation()
    (store.kw_dir(gen + 1)).mkdir()
    (store.kw_dir(gen + 1) / "params.index.json").write_text("{}", encoding="utf-8")
    (store.path / f".kw-{gen + 1}.tmp").mkdir()
    found = store.check_consistency()
    assert found.ok and len(found.leftovers) == 2
    store.close()
    Assistant(fake_settings).remove("001")  # must not os.replace onto the leftover kw-<gen+1>
    assert _check(fake_settings).keys() == _corpus_state(fake_settings.corpus_dir).keys() - {"001_5fecd174d6647819.txt"}
    Ingestor(fake_settings).run()
    assert _check(fake_settings, clean=True) == _corpus_state(fake_settings.corpus_dir)


def test_a_killed_rebuild_leaves_the_old_index_serving(fake_settings: Settings) -> None:
    _grow(fake_settings.corpus_dir)
    Ingestor(fake_settings).run()
    before = _manifest_state(fake_settings)
    run = _Ingest(fake_settings, "--rebuild")
    assert run.wait_for("embed")
    run.kill()
    assert _check(fake_settings) == before
    _search_answers(fake_settings)
    assert len(list(fake_settings.data_dir.glob("idx-*"))) == 2  # the half-built one, until the next ingest
    Ingestor(fake_settings).run()
    assert _check(fake_settings, clean=True) == before
    assert len(list(fake_settings.data_dir.glob("idx-*"))) == 1


# -- the checker finds what it must --------------------------------------------------------
def test_checker_reports_each_kind_of_damage(fake_settings: Settings) -> None:
    Ingestor(fake_settings).run()
    store = IndexStore.open_current(fake_settings)
    assert store.check_consistency().clean
    some = sorted(store.db.chunk_ids())[:2]

    store.vectors.delete(some[:1])
    assert any("no vector" in p for p in store.check_consistency().problems)

    with store.db.transaction() as conn:
        conn.execute("UPDATE chunks SET text = text || 'x' WHERE id = ?", (some[1],))
    assert any("is not the text" in p for p in store.check_consistency().problems)

    with store.db.transaction() as conn:
        conn.execute("DELETE FROM chunks WHERE id = ?", (some[1],))
    problems = store.check_consistency().problems
    assert any("should have chunks" in p for p in problems)
    assert any("keyword" in p for p in problems)

    gen = store.generation()
    shutil.rmtree(store.kw_dir(gen))
    assert any("cannot be loaded" in p for p in store.check_consistency().problems)
    store.close()
