"""The job killed outright (SIGKILL, ``transforms.killpoints``) while staging,
after committing, in the middle of publishing and before cleaning up, then
run again: the output ends byte-identical to an undisturbed run's, and a
reader polling it meanwhile only ever sees whole partition files of one run
or the other, none missing."""

import hashlib
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import threading
import time

import schemas
from tests.conftest import SEEDS, published_digests
from transforms.killpoints import KILL_AT

ADDED_SENTENCE = "\nوأكد المتحدث أن الاجتماع المقبل سيعقد في القاهرة الأسبوع المقبل."


def write_inputs(folder, edition):
    """The seeds as they are (edition 1), or each with one sentence more."""
    folder.mkdir(exist_ok=True)
    for seed in SEEDS.iterdir():
        text = seed.read_text(encoding="utf-8")
        if edition == 2 and seed.suffix == ".txt":
            text += ADDED_SENTENCE
        (folder / seed.name).write_text(text, encoding="utf-8")


def run_job(inputs, output, kill_at=None):
    """The ``akhbar`` command in a session of its own; its return code."""
    env = dict(os.environ)
    env.pop(KILL_AT, None)
    if kill_at:
        env[KILL_AT] = kill_at
    command = [str(pathlib.Path(sys.executable).parent / "akhbar"), "--input", str(inputs), "--output", str(output),
               "--processes", "1"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, start_new_session=True)
    assert done.returncode == (-signal.SIGKILL if kill_at else 0), done.stderr[-2000:]
    return done.returncode


class PollingReader(threading.Thread):
    """Reads every partition folder of an output over and over, noting
    anything a reader must never see: a folder with other than one file, a
    file that is neither edition's, a file that was there and is gone."""

    def __init__(self, output, editions):
        super().__init__(daemon=True)
        self.output = pathlib.Path(output)
        self.allowed = {}
        for edition in editions:
            for relative, digest in edition.items():
                self.allowed.setdefault(relative, set()).add(digest)
        self.kept_by_all = set.intersection(*(set(edition) for edition in editions))
        self.seen, self.problems, self.reads = set(), [], 0
        self.stopping = threading.Event()

    def run(self):
        try:
            while not self.stopping.is_set():
                self.read_once()
                time.sleep(0.005)
        except Exception as error:  # the test fails on it, not the thread alone
            self.problems.append(f"the reader failed: {error!r}")

    def read_once(self):
        for table_folder in schemas.TABLE_FOLDERS.values():
            for folder in (self.output / table_folder).glob("date=*/source=*"):
                names = sorted(os.listdir(folder))
                relative = str(folder.relative_to(self.output))
                if len(names) != 1:
                    self.problems.append(f"{relative}: {names}")
                for name in names:
                    try:
                        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
                    except FileNotFoundError:  # replaced between listing and reading: read again
                        continue
                    self.reads += 1
                    if digest not in self.allowed.get(f"{relative}/{name}", ()):
                        self.problems.append(f"{relative}/{name}: a file of neither edition")
                    self.seen.add(f"{relative}/{name}")
        missing = {relative for relative in self.seen & self.kept_by_all if not (self.output / relative).exists()}
        self.problems += [f"{relative}: missing for a moment" for relative in sorted(missing)]

    def stop(self):
        self.stopping.set()
        self.join()


def test_killed_anywhere_the_rerun_publishes_what_an_undisturbed_run_does_and_readers_see_whole_files(tmp_path):
    inputs, undisturbed, disturbed = tmp_path / "in", tmp_path / "undisturbed", tmp_path / "disturbed"
    write_inputs(inputs, 1)
    run_job(inputs, undisturbed)
    first_edition = published_digests(undisturbed)
    shutil.copytree(undisturbed, disturbed)
    write_inputs(inputs, 2)
    run_job(inputs, undisturbed)
    second_edition = published_digests(undisturbed)
    assert first_edition != second_edition

    reader = PollingReader(disturbed, [first_edition, second_edition])
    reader.start()
    try:
        for kill_at in ("staged", "committed"):  # before the publish: the output is untouched
            run_job(inputs, disturbed, kill_at)
            assert published_digests(disturbed) == first_edition, kill_at
        run_job(inputs, disturbed, "publishing:3")  # it first finishes the committed run's publish
        published = published_digests(disturbed)
        assert published != first_edition and published != second_edition
        run_job(inputs, disturbed, "reported")
        assert published_digests(disturbed) == second_edition
        assert (disturbed / "_staging").exists()
        run_job(inputs, disturbed)
    finally:
        reader.stop()
    assert published_digests(disturbed) == second_edition
    assert not (disturbed / "_staging").exists() and not (disturbed / "_lock.json").exists()
    assert reader.reads > 100 and reader.problems == []
