#!/usr/bin/python3
"""Issue #18's interruption bar, measured: `calibrate --report` and `evaluate` interrupted by
SIGINT and SIGTERM inside their output-writing window must leave the earlier run's files or the
whole new set, never a mix (nor the new set beside the journal it replaces), and no temporary
file, exiting 130 / 143 (or 0 when the signal came after the run had finished its work).

The window is found, not guessed: each trial watches the output folder for the run's first
temporary file (`.NAME.tmpPID.N` or a `.pcmkit-figure-*` scratch folder), then sends the signal
after a delay drawn uniformly from 0 to the window's length in an uninterrupted run (so trials
cover the whole window: temporaries being written, figures drawn, the final renames).

Usage: tools/interruption_trials.py [--pcmkit build/bin/pcmkit] [--trials 50]
       [--cifar ~/.cache/pcmkit/cifar10] [--commands calibrate,evaluate] [--seed 1]
Prints one line per command and signal; exit 1 when any trial broke the guarantee.
"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def temporaries(folder):
    found = []
    for base, dirs, names in os.walk(folder):
        found += [os.path.join(base, n) for n in dirs + names
                  if ".tmp" in n or n.startswith(".pcmkit")]
    return found


def snapshot(folder):
    files = {}
    for base, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(base, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, folder)] = f.read()
    return files


def restore(folder, earlier):
    """Back to the earlier set (a trial's leftovers removed, so that one failure is counted once)."""
    for base, dirs, _ in os.walk(folder):
        for name in dirs:
            if name.startswith(".pcmkit"):
                shutil.rmtree(os.path.join(base, name), ignore_errors=True)
    for name in list(snapshot(folder)):
        if name not in earlier:
            os.remove(os.path.join(folder, name))
    for name, data in earlier.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


def window_s(args, cwd, out):
    """Seconds from the first temporary in `out` to the end of an uninterrupted run."""
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    first = None
    while proc.poll() is None:
        if first is None and temporaries(out):
            first = time.monotonic()
        time.sleep(0.0002)
    if proc.returncode != 0:
        sys.exit(f"interruption_trials: {' '.join(args)} failed ({proc.returncode})")
    if first is None:
        sys.exit("interruption_trials: no temporary file seen (the window is too short to see)")
    return time.monotonic() - first


def trials(args, cwd, out, sig, count, rng):
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    earlier = {name: b"earlier " + name.encode() for name in snapshot(out)}
    restore(out, earlier)
    window = window_s(args, cwd, out)
    restore(out, earlier)
    interrupted = finished = mixed = stale = leftover = bad_exit = 0
    for _ in range(count):
        delay = rng.uniform(0.0, window)
        proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        sent = False
        while proc.poll() is None:
            if not sent and temporaries(out):
                time.sleep(delay)
                proc.send_signal(sig)
                sent = True
            time.sleep(0.0002)
        code = proc.returncode
        interrupted += code == 128 + sig
        finished += code == 0
        bad_exit += code not in (0, 128 + sig)
        leftover += bool(temporaries(out))
        now = snapshot(out)
        kept = sum(1 for name, data in earlier.items() if now.get(name) == data)
        mixed += 0 < kept < len(earlier) or (code == 0 and kept > 0)
        # The whole new set with something more (a journal the results replace) is stale too.
        stale += kept == 0 and any(name not in earlier for name in now)
        restore(out, earlier)
    return window, interrupted, finished, mixed, stale, leftover, bad_exit


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pcmkit", default=os.path.join(ROOT, "build/bin/pcmkit"))
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--cifar", default=os.path.expanduser("~/.cache/pcmkit/cifar10"))
    parser.add_argument("--commands", default="calibrate,evaluate")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    pcmkit = os.path.abspath(options.pcmkit)
    rng = random.Random(options.seed)
    scratch = tempfile.mkdtemp(prefix="pcmkit_interruptions_")
    failed = False
    try:
        runs = {}
        if "calibrate" in options.commands:
            subprocess.run([pcmkit, "synth", "-o", "c.h5", "--levels", "lin:0:25:5",
                            "--devices-per-level", "300", "--times", "log:25:1d:8", "--traces",
                            "8", "--trace-reads", "256", "--quiet"], cwd=scratch, check=True)
            os.makedirs(os.path.join(scratch, "m"))
            runs["calibrate --report"] = (
                [pcmkit, "calibrate", "c.h5", "-o", "m/model.json", "--report", "m/report",
                 "--quiet"], "m")
        if "evaluate" in options.commands:
            os.makedirs(os.path.join(scratch, "out"))
            runs["evaluate"] = (
                [pcmkit, "evaluate", "--quiet", "--model",
                 os.path.join(ROOT, "calibration/pcm_like_nandakumar2019.json"), "--weights",
                 os.path.join(ROOT, "data/resnet32-pcm-hwa.h5"), "--arch", "resnet32-pcm",
                 "--data", options.cifar, "--max-images", "200", "--adabs-images", "200",
                 "--times", "25,1d", "--repeats", "2", "--threads", "2", "-o", "out"], "out")
        for name, (args, out) in runs.items():
            for sig in (signal.SIGINT, signal.SIGTERM):
                window, interrupted, finished, mixed, stale, leftover, bad_exit = trials(
                    args, scratch, os.path.join(scratch, out), sig, options.trials, rng)
                print(f"{name}, {sig.name}: {options.trials} trials in a {window * 1e3:.0f} ms "
                      f"window: {interrupted} interrupted, {finished} finished, {mixed} mixed "
                      f"sets, {stale} new sets with stale files, {leftover} with temporaries, "
                      f"{bad_exit} other exit codes",
                      flush=True)
                failed |= mixed > 0 or stale > 0 or leftover > 0 or bad_exit > 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
