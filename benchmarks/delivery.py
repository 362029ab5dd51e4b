"""Upload speed: ours over FTP and SFTP against a raw loopback TCP copy, in one run.

    .venv/bin/python benchmarks/delivery.py [--size-mb 1024] [--runs 5] [--skip-sftp]

One file of random bytes is sent three ways over 127.0.0.1, each receiver writing it to
``--receive-dir`` (default /dev/shm, a tmpfs, so disk writeback does not blur the protocol
comparison) in a separate process (so the receiver does not share our interpreter):

- raw: ``socket.sendall`` in 1 MiB blocks to a plain TCP receiver (the reference),
- FTP: :func:`pipeline.delivery.upload` to pyftpdlib (:class:`testkit.sinks.FtpSink`),
- SFTP: :func:`pipeline.delivery.upload` to OpenSSH ``sshd`` (internal-sftp) started here.

Each time runs until the receiver holds the whole file (for ours: under its final name, size
checked). Methods are interleaved round by round; best and median speeds are printed and the
ratios use the best run of each, the one least disturbed by other work on a shared machine.
Peak RSS of this process (``VmHWM``) is reset before each run.
Targets: FTP >= 80 % of raw, SFTP >= 40 % of raw, peak RSS < 100 MB.
"""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.delivery import BLOCK_SIZE, upload  # noqa: E402

#: Default size of the file sent, in MB (2^20 bytes).
DEFAULT_SIZE_MB = 1024
#: Targets from the issue.
FTP_TARGET, SFTP_TARGET, RSS_TARGET_MB = 0.80, 0.40, 100
#: The OpenSSH server binary (package openssh-server).
SSHD = "/usr/sbin/sshd"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=DEFAULT_SIZE_MB)
    parser.add_argument("--runs", type=int, default=5, help="rounds (each runs every method)")
    parser.add_argument("--skip-sftp", action="store_true")
    parser.add_argument(
        "--receive-dir",
        default="/dev/shm" if Path("/dev/shm").is_dir() else None,
        help="where receivers write (default /dev/shm)",
    )
    parser.add_argument("--serve", choices=["raw", "ftp"], help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, Path(args.root))
        return
    with (
        tempfile.TemporaryDirectory(prefix="bench-delivery-") as source_dir,
        tempfile.TemporaryDirectory(prefix="bench-delivery-", dir=args.receive_dir) as tmp,
    ):
        run(Path(source_dir) / "plates.pdf", Path(tmp), args.size_mb, args.runs, args.skip_sftp)


def run(source: Path, tmp: Path, size_mb: int, runs: int, skip_sftp: bool) -> None:
    write_random(source, size_mb)
    size = source.stat().st_size
    print(
        f"file: {size_mb} MB of random bytes; receivers write to {tmp}; {runs} rounds, "
        f"methods interleaved (the machine may be shared)"
    )
    with ExitStack() as stack:
        raw_port = stack.enter_context(served("raw", tmp / "raw"))
        ftp_port = stack.enter_context(served("ftp", tmp / "ftp"))
        ftp_url = f"ftp://bench:bench@127.0.0.1:{ftp_port}/in"
        methods = {
            "raw TCP socket": (lambda: raw_copy(source, raw_port), tmp / "raw"),
            "ours: FTP (pyftpdlib)": (
                lambda: checked(upload(source, ftp_url, timeout=60), tmp / "ftp", size),
                tmp / "ftp",
            ),
        }
        if skip_sftp:
            pass
        elif not os.access(SSHD, os.X_OK):
            print(f"SFTP skipped: {SSHD} not found (apt-get install openssh-server)")
        else:
            port, key, known = stack.enter_context(sshd(tmp / "sshd"))
            sftp_url = f"sftp://{getpass.getuser()}@127.0.0.1:{port}{tmp / 'sftp'}"
            methods["ours: SFTP (OpenSSH)"] = (
                lambda: checked(
                    upload(source, sftp_url, key_file=key, known_hosts=known, timeout=60),
                    tmp / "sftp",
                    size,
                ),
                tmp / "sftp",
            )
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in methods}
        for round_ in range(runs):
            for name, (action, received) in methods.items():
                clear(received)
                results[name].append(measure(action))
            print(
                f"  round {round_ + 1}: "
                + ", ".join(
                    f"{name.split(': ')[-1]} {results[name][-1][0]:.2f} s" for name in methods
                ),
                flush=True,
            )
    report(results, size)


def clear(received: Path) -> None:
    """Delete what the last run left, and flush dirty pages so runs start alike."""
    received.mkdir(parents=True, exist_ok=True)
    for old in received.rglob("*"):
        if old.is_file():
            old.unlink()
    os.sync()


def report(results: dict[str, list[tuple[float, float]]], size: int) -> None:
    """Best and median speed per method; ratios from the best run of each (the run least
    disturbed by other work on the machine), as ``timeit`` does."""
    best = {name: min(s for s, _ in runs) for name, runs in results.items()}
    median = {name: sorted(s for s, _ in runs)[len(runs) // 2] for name, runs in results.items()}
    raw = best["raw TCP socket"]
    print(
        f"\n{'method':<24} {'best MB/s':>10} {'median MB/s':>12} {'best of raw':>12} "
        f"{'peak RSS':>9}"
    )
    for name, runs in results.items():
        print(
            f"{name:<24} {size / best[name] / 1e6:>10.0f} {size / median[name] / 1e6:>12.0f} "
            f"{raw / best[name]:>12.0%} {max(r for _, r in runs):>6.0f} MB"
        )
    for name, target in (
        ("ours: FTP (pyftpdlib)", FTP_TARGET),
        ("ours: SFTP (OpenSSH)", SFTP_TARGET),
    ):
        if name in best:
            ratio = raw / best[name]
            print(
                f"{name}: {ratio:.0%} of raw (target >= {target:.0%}): "
                f"{'yes' if ratio >= target else 'NO'}"
            )
    peak = max(r for runs in results.values() for _, r in runs)
    print(
        f"peak RSS {peak:.0f} MB (target < {RSS_TARGET_MB} MB): "
        f"{'yes' if peak < RSS_TARGET_MB else 'NO'}"
    )


def measure(action) -> tuple[float, float]:
    """Seconds the action takes and this process's peak RSS (MB) while it ran."""
    reset_peak_rss()
    started = time.perf_counter()
    action()
    return time.perf_counter() - started, peak_rss_mb()


def reset_peak_rss() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux: reset VmHWM to current RSS
    except OSError:
        pass


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_random(path: Path, size_mb: int) -> None:
    """``size_mb`` MiB: a 16 MiB random pattern repeated (not compressible by blocks)."""
    pattern = os.urandom(16 * 2**20)
    with path.open("wb") as out:
        left = size_mb * 2**20
        while left:
            chunk = pattern[: min(left, len(pattern))]
            out.write(chunk)
            left -= len(chunk)


def checked(result, root: Path, size: int) -> None:
    """Fail the benchmark unless the upload was real and landed whole."""
    landed = [p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".part")]
    if result.skipped or [p.stat().st_size for p in landed] != [size]:
        raise SystemExit(f"{root}: upload did not land whole ({result})")


def raw_copy(source: Path, port: int) -> None:
    """The reference: the same blocks over a plain socket, until the receiver acknowledges."""
    with socket.create_connection(("127.0.0.1", port)) as conn, source.open("rb") as data:
        while block := data.read(BLOCK_SIZE):
            conn.sendall(block)
        conn.shutdown(socket.SHUT_WR)
        if conn.recv(2) != b"ok":
            raise SystemExit("raw receiver did not acknowledge")


class served:
    """A receiver (``--serve raw|ftp``) in a child process; yields its port."""

    def __init__(self, kind: str, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", kind, "--root", str(root)],
            stdout=subprocess.PIPE,
            text=True,
        )

    def __enter__(self) -> int:
        assert self.process.stdout is not None
        return int(self.process.stdout.readline())

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        if self.process.stdout:
            self.process.stdout.close()


def serve(kind: str, root: Path) -> None:
    if kind == "ftp":
        from testkit.sinks import FtpSink

        sink = FtpSink(root, "bench", "bench").start()
        print(sink.port, flush=True)
        while True:
            time.sleep(3600)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        print(listener.getsockname()[1], flush=True)
        while True:
            conn, _ = listener.accept()
            buffer = memoryview(bytearray(BLOCK_SIZE))
            with conn, (root / "raw.bin").open("wb", buffering=0) as out:
                while count := conn.recv_into(buffer):
                    out.write(buffer[:count])
                conn.sendall(b"ok")


class sshd:
    """OpenSSH on a free port with a fresh host key and client key; yields port, key, known."""

    def __init__(self, base: Path) -> None:
        base.mkdir()
        self.base = base

    def __enter__(self) -> tuple[int, Path, Path]:
        base = self.base
        for name in ("host", "client"):
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / name)], check=True
            )
        (base / "authorized_keys").write_text((base / "client.pub").read_text())
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        host_pub = (base / "host.pub").read_text().split()
        (base / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
        config = base / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    "ListenAddress 127.0.0.1",
                    f"Port {port}",
                    f"HostKey {base / 'host'}",
                    f"PidFile {base / 'sshd.pid'}",
                    f"AuthorizedKeysFile {base / 'authorized_keys'}",
                    "PasswordAuthentication no",
                    "StrictModes no",
                    "UsePAM no",
                    "PermitRootLogin prohibit-password",
                    "Subsystem sftp internal-sftp",
                    "",
                ]
            )
        )
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)], stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.05)
        return port, base / "client", base / "known_hosts"

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.base, ignore_errors=True)


if __name__ == "__main__":
    main()
