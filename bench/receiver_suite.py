"""The receiver suite's wall time next to a schemathesis run over the same operations.

All three runs go to the same reference receiver (`examples/receiver.py`, in a process of its
own) on loopback:

- `hookconform receiver` with an empty payload cache (the plans are generated, in worker
  processes where the profile has enough events);
- the same command again (the plans come from the cache);
- `st run` over the receiver document of the same profile (one `POST` operation per event,
  `harness.strategies.receiver_document`) with the same number of positive examples per
  operation: `-n N --mode positive --phases fuzzing --checks not_a_server_error --no-shrink`.

    python bench/receiver_suite.py [--profile factorial] [--max-examples 10] [--rounds 1]

Each figure is a whole process's wall time, start-up included, the best of `--rounds`
alternating rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.profiles import load_profiles
from harness.strategies import receiver_document

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SECRET = "bench-secret"
TIME_LIMIT = 300.0  # per command


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=TIME_LIMIT, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: findings (schemathesis's, or a MUST that failed)
        sys.exit(f"{command[0]} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="factorial")
    parser.add_argument("--max-examples", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    if not 1 <= args.max_examples <= 100 or not 1 <= args.rounds <= 5:
        parser.error("--max-examples must be 1..100 and --rounds 1..5")
    profile = load_profiles().get(args.profile)
    port = _free_port()
    serving = [sys.executable, str(ROOT / "examples" / "receiver.py"), "--profile", args.profile]
    serving += ["--secret", SECRET, "--port", str(port), "--quiet"]
    receiver = subprocess.Popen(
        serving,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    first, repeated, peer = [], [], []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or receiver.poll() is not None:
                    sys.exit("the reference receiver did not start")
                time.sleep(0.1)
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            document = work / "receiver.json"
            document.write_text(json.dumps(receiver_document(profile)), encoding="utf-8")
            suite = [str(BIN / "hookconform"), "receiver", f"{url}/hooks"]
            suite += ["--profile", args.profile, "--secret", SECRET]
            suite += ["--max-examples", str(args.max_examples)]
            schemathesis = [str(BIN / "st"), "run", str(document), "--url", url]
            schemathesis += ["-n", str(args.max_examples), "--mode", "positive"]
            schemathesis += ["--phases", "fuzzing", "--checks", "not_a_server_error"]
            schemathesis += ["--no-shrink", "--seed", "0"]
            for round_number in range(args.rounds):
                cache = ["--cache-dir", str(work / f"cache-{round_number}")]
                first.append(_timed([*suite, *cache], work))
                repeated.append(_timed([*suite, *cache], work))
                peer.append(_timed(schemathesis, work))
    finally:
        receiver.terminate()
        receiver.wait()
    best = min(peer)
    events = len(profile.events)
    print(
        f"profile {args.profile}, {events} events, {args.max_examples} positive examples each,"
        f" best of {args.rounds} round(s), {os.cpu_count()} CPUs"
    )
    print(f"  schemathesis st run:                {best:6.1f} s  (the peer)")
    print(f"  hookconform receiver, first run:    {min(first):6.1f} s  {min(first) / best:.2f}x")
    print(
        f"  hookconform receiver, repeated run: {min(repeated):6.1f} s  {min(repeated) / best:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
