"""Files are safe to name: an output never replaces a device, a FIFO or a folder and is never
left half-written (Ctrl-C and SIGTERM included); an output path is checked before long work;
an input that is not a regular, bounded, UTF-8 file is one clear error, never a wait."""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from symbackprop import cli, files
from symbackprop.train import cli as train_cli
from symbackprop.train import csvdata, extras

needs_matplotlib = pytest.mark.skipif(
    not extras.available("matplotlib"), reason="--plot needs matplotlib (extra 'plot')"
)
NULL, FULL = os.makedev(1, 3), os.makedev(1, 7)  # Linux's /dev/null and /dev/full
TRAIN = ["train", "tiny221", "--data", "sizes", "--epochs", "2"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_error(err: str, *words: str) -> bool:
    """Exactly one line, the CLI's error line, holding every one of ``words``."""
    return (
        err.count("\n") == 1
        and err.startswith("symbackprop: error: ")
        and all(word in err for word in words)
    )


def char_device(path: Path, device: int) -> Path:
    """A character device node at ``path`` (needs root and a container that allows it)."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, device)
    except PermissionError:
        pytest.skip("cannot make device nodes here")
    return path


def is_device(path: Path, device: int) -> bool:
    status = os.lstat(path)
    return stat.S_ISCHR(status.st_mode) and status.st_rdev == device


def names(folder: Path) -> list[str]:
    """Every entry of ``folder``, hidden temporaries included."""
    return sorted(entry.name for entry in folder.iterdir())


# -- outputs onto devices, FIFOs, folders and links ---------------------------------------------
OUTPUTS = {
    "generate -o": (["generate", "xor", "-o"], "out.py"),
    "explain -o": (["explain", "torch-scalar", "-o"], "out.md"),
    "train --save": ([*TRAIN, "--save"], "out.npz"),
    "train --plot": pytest.param(([*TRAIN, "--plot"], "out.png"), marks=needs_matplotlib),
}


@pytest.mark.parametrize("output", OUTPUTS.values(), ids=OUTPUTS.keys())
def test_writing_to_a_null_device_writes_through_and_keeps_the_device(capsys, tmp_path, output):
    argv, name = output
    device = char_device(tmp_path / name, NULL)
    code, _, err = run(capsys, *argv, device)
    assert code == 0, err
    assert is_device(device, NULL)
    assert names(tmp_path) == [name]


def test_a_full_device_is_one_error_and_stays_a_device(capsys, tmp_path):
    device = char_device(tmp_path / "full.py", FULL)
    code, out, err = run(capsys, "generate", "xor", "-o", device)
    assert code == 2 and out == ""
    assert one_error(err, str(device), "No space left on device")
    assert is_device(device, FULL) and names(tmp_path) == ["full.py"]


@pytest.mark.parametrize("output", list(OUTPUTS.values())[:3], ids=list(OUTPUTS)[:3])
def test_a_fifo_nobody_reads_is_one_error_not_a_wait(capsys, tmp_path, output):
    argv, name = output
    fifo = tmp_path / name
    os.mkfifo(fifo)
    code, _, err = run(capsys, *argv, fifo)
    assert code == 2
    assert one_error(err, str(fifo), "no process is reading")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and names(tmp_path) == [name]


def test_a_fifo_with_a_reader_receives_what_a_file_would(capsys, tmp_path, monkeypatch):
    """The same command, with the same relative -o name, into a FIFO and into a plain file."""
    (tmp_path / "pipe").mkdir()
    (tmp_path / "file").mkdir()
    os.mkfifo(tmp_path / "pipe" / "out.py")
    monkeypatch.chdir(tmp_path / "pipe")
    received = read_fifo_while(lambda: run(capsys, "generate", "xor", "-o", "out.py"))
    monkeypatch.chdir(tmp_path / "file")
    assert run(capsys, "generate", "xor", "-o", "out.py")[0] == 0
    assert received == (tmp_path / "file" / "out.py").read_bytes()
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe" / "out.py").st_mode)
    assert names(tmp_path / "pipe") == ["out.py"]


def read_fifo_while(write) -> bytes:
    """What ``write()`` sends into ./out.py, a FIFO, read by a thread. A writer end held here
    keeps the thread's reads waiting until the command has opened, written and closed its own;
    then closing ours gives the thread its end of file."""
    reader = os.open("out.py", os.O_RDONLY | os.O_NONBLOCK)
    holder = os.open("out.py", os.O_WRONLY)
    os.set_blocking(reader, True)
    chunks: list[bytes] = []
    thread = threading.Thread(
        target=lambda: chunks.extend(iter(lambda: os.read(reader, 65536), b""))
    )
    thread.start()
    try:
        code, _, err = write()
    finally:
        os.close(holder)
        thread.join()
        os.close(reader)
    assert code == 0, err
    return b"".join(chunks)


@pytest.mark.parametrize("output", OUTPUTS.values(), ids=OUTPUTS.keys())
def test_a_folder_as_target_is_one_error(capsys, tmp_path, output):
    argv, name = output
    folder = tmp_path / name
    folder.mkdir()
    code, out, err = run(capsys, *argv, folder)
    assert code == 2 and out == ""
    assert one_error(err, str(folder), "is a folder")
    assert folder.is_dir() and names(folder) == [] and names(tmp_path) == [name]


def test_a_link_to_a_file_replaces_the_file_and_keeps_the_link(capsys, tmp_path, monkeypatch):
    (tmp_path / "plain").mkdir()
    monkeypatch.chdir(tmp_path / "plain")
    assert run(capsys, "generate", "xor", "-o", "out.py")[0] == 0
    (tmp_path / "linked").mkdir()
    real = tmp_path / "linked" / "real.py"
    real.write_text("old module\n")
    (tmp_path / "linked" / "out.py").symlink_to("real.py")
    monkeypatch.chdir(tmp_path / "linked")
    assert run(capsys, "generate", "xor", "-o", "out.py")[0] == 0
    assert os.readlink("out.py") == "real.py"
    assert real.read_bytes() == (tmp_path / "plain" / "out.py").read_bytes()
    assert names(tmp_path / "linked") == ["out.py", "real.py"]


# -- output paths are checked before long work --------------------------------------------------
def fail_if_work_starts(monkeypatch) -> None:
    """Reading a model or training raises: an output check must come first."""

    def work(*args, **kwargs):
        raise AssertionError("long work started before the output path was checked")

    monkeypatch.setattr(cli.api, "load_model", work)
    monkeypatch.setattr(cli.explain_cli, "load_model", work)
    monkeypatch.setattr(train_cli, "train", work)


def unwritable_folder() -> Path:
    """A folder where creating a file fails even for root (sysfs)."""
    folder = Path("/sys")
    try:
        os.close(os.open(folder / "probe.py", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError:
        return folder
    os.unlink(folder / "probe.py")
    pytest.skip("/sys is writable here")


BAD_PLACES = {
    "no such folder": (lambda tmp, name: tmp / "absent" / name, "no such folder"),
    "name too long": (lambda tmp, name: tmp / ("n" * 300 + name), "File name too long"),
    "unwritable folder": (lambda tmp, name: unwritable_folder() / name, "cannot write here"),
}


@pytest.mark.parametrize("place", BAD_PLACES.values(), ids=BAD_PLACES.keys())
@pytest.mark.parametrize("output", OUTPUTS.values(), ids=OUTPUTS.keys())
def test_an_output_that_cannot_be_written_fails_before_any_work(
    capsys, tmp_path, monkeypatch, output, place
):
    argv, name = output
    where, words = place
    path = where(tmp_path, name)
    fail_if_work_starts(monkeypatch)
    code, out, err = run(capsys, *argv, path)
    assert code == 2 and out == ""
    assert one_error(err, words) and (str(path) in err or str(path.parent) in err)
    assert names(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a mode 0555 folder")
def test_a_read_only_folder_fails_before_training(capsys, tmp_path, monkeypatch):
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o555)
    fail_if_work_starts(monkeypatch)
    code, _, err = run(capsys, *TRAIN, "--save", folder / "p.npz")
    assert code == 2 and one_error(err, str(folder), "Permission denied")


def test_a_long_name_that_fits_gets_a_temporary_that_fits(capsys, tmp_path):
    """A 250-character name is allowed (255 is the usual limit); its temporary is shorter."""
    path = tmp_path / ("n" * 247 + ".py")
    code, _, err = run(capsys, "generate", "xor", "-o", path)
    assert code == 0, err
    assert names(tmp_path) == [path.name] and path.read_text().startswith('"""')


# -- Ctrl-C and SIGTERM -------------------------------------------------------------------------
def test_ctrl_c_during_a_write_keeps_the_old_file_and_leaves_no_temporary(
    capsys, tmp_path, monkeypatch
):
    target = tmp_path / "out.py"
    target.write_text("old module\n")

    def interrupted(temporary, content):
        temporary.write_text("half a mod")
        raise KeyboardInterrupt

    monkeypatch.setattr(files, "_fill", interrupted)
    code, out, err = run(capsys, "generate", "xor", "-o", target)
    assert code == 130 and out == "" and err == "symbackprop: interrupted\n"
    assert target.read_text() == "old module\n" and names(tmp_path) == ["out.py"]


# The CLI in a child process, with a hook that says when training starts or that sends the
# signal from inside the write, so that the signal arrives where the test means it to.
CHILD = textwrap.dedent(
    """
    import os, signal, sys, time
    from symbackprop import cli, files
    from symbackprop.train import cli as train_cli

    hook, signum = sys.argv[1], int(sys.argv[2])
    if hook == "announce-training":
        real_train = train_cli.train

        def train(*args, **kwargs):
            print("training", flush=True)
            return real_train(*args, **kwargs)

        train_cli.train = train
    else:
        def fill(temporary, content):
            temporary.write_bytes(b"half an archive")
            os.kill(os.getpid(), signum)
            while True:
                time.sleep(1)

        files._fill = fill
    sys.exit(cli.main(sys.argv[3:]))
    """
)
SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM}
HANG_GUARD_S = 600  # only so that a broken handler fails the run instead of hanging it


def child(tmp_path: Path, hook: str, signum: int, *argv: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, hook, str(int(signum)), *argv],
        cwd=tmp_path,
        preexec_fn=default_signals,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("signum", SIGNALS.values(), ids=SIGNALS.keys())
def test_a_signal_during_training_is_one_line_and_leaves_no_file(tmp_path, signum):
    process = child(
        tmp_path, "announce-training", signum, *TRAIN[:-1], "10000000", "--save", "p.npz"
    )
    assert process.stdout.readline() == "training\n"
    process.send_signal(signum)
    out, err = process.communicate(timeout=HANG_GUARD_S)
    assert process.returncode == 128 + signum
    assert err == "symbackprop: interrupted\n" and out == ""
    assert names(tmp_path) == []


@pytest.mark.parametrize("signum", SIGNALS.values(), ids=SIGNALS.keys())
def test_a_signal_during_a_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, signum):
    (tmp_path / "p.npz").write_bytes(b"old archive")
    process = child(tmp_path, "signal-in-write", signum, *TRAIN, "--save", "p.npz")
    out, err = process.communicate(timeout=HANG_GUARD_S)
    assert process.returncode == 128 + signum
    assert err == "symbackprop: interrupted\n"
    assert (tmp_path / "p.npz").read_bytes() == b"old archive"
    assert names(tmp_path) == ["p.npz"]


def default_signals() -> None:
    """A child started from a background job inherits SIGINT ignored; Python then keeps it so."""
    for signum in SIGNALS.values():
        signal.signal(signum, signal.SIG_DFL)


# -- inputs: regular files of bounded size holding UTF-8 ----------------------------------------
def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def link(path: Path, target: str) -> Path:
    path.symlink_to(target)
    return path


def folder(path: Path) -> Path:
    path.mkdir()
    return path


def sized(path: Path, size: int) -> Path:
    path.write_bytes(b" " * size)
    return path


def data_args(path: Path) -> list:
    return ["train", "tiny221", "--data", path, "--target", "size"]


FIFO, DEVICE = "not a regular file (a FIFO)", "not a regular file (a character device)"
STREAMS = {
    "derive a FIFO spec": (lambda tmp: ["derive", fifo(tmp / "net.toml")], FIFO),
    "derive a FIFO module": (lambda tmp: ["derive", fifo(tmp / "net.py")], FIFO),
    "check a FIFO": (lambda tmp: ["check", fifo(tmp / "bp.py")], FIFO),
    "train on a FIFO": (lambda tmp: data_args(fifo(tmp / "d.csv")), FIFO),
    "derive /dev/zero": (lambda tmp: ["derive", link(tmp / "z.toml", "/dev/zero")], DEVICE),
    "check /dev/urandom": (lambda tmp: ["check", link(tmp / "u.py", "/dev/urandom")], DEVICE),
    "train on /dev/zero": (lambda tmp: data_args(link(tmp / "z.csv", "/dev/zero")), DEVICE),
}
CHILD_MEMORY = 4 * 1024**3  # a reader that regressed into reading /dev/zero fails, not the host


def bounded_child() -> None:
    default_signals()
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))


@pytest.mark.parametrize("case", STREAMS.values(), ids=STREAMS.keys())
def test_an_input_that_is_a_stream_is_one_error_not_a_wait(tmp_path, case):
    """In a child process with bounded memory: the bug this guards against blocks or fills
    memory."""
    argv, words = case
    argv = [str(arg) for arg in argv(tmp_path)]
    process = subprocess.run(
        [sys.executable, "-m", "symbackprop", *argv],
        capture_output=True,
        text=True,
        preexec_fn=bounded_child,
        timeout=HANG_GUARD_S,
    )
    path = next(arg for arg in argv if arg.startswith(str(tmp_path)))
    assert process.returncode == 2 and process.stdout == ""
    assert one_error(process.stderr, f"{path}: {words}")


NOT_REGULAR = {
    "derive a folder": (lambda tmp: ["derive", folder(tmp / "net.toml")], "not a regular file"),
    "explain a folder": (lambda tmp: ["explain", folder(tmp / "net.py")], "not a regular file"),
    "derive 5 MB of code": (
        lambda tmp: ["derive", sized(tmp / "big.py", 5 * 1024 * 1024 + 1)],
        "larger than 5 MB",
    ),
}


@pytest.mark.parametrize("case", NOT_REGULAR.values(), ids=NOT_REGULAR.keys())
def test_a_folder_or_a_large_file_as_input_is_one_error(capsys, tmp_path, case):
    argv, words = case
    argv = argv(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert one_error(err, f"{argv[-1]}: {words}")


def test_csv_data_over_its_cap_is_one_error(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(csvdata, "MAX_DATA_BYTES", 1024 * 1024)
    data = tmp_path / "d.csv"
    data.write_text("h,w,size\n" + "1,2,0\n" * 200_000)  # 1.2 MB
    code, _, err = run(capsys, *data_args(data))
    assert code == 2 and one_error(err, f"{data}: larger than 1 MB")


NOT_UTF8 = {
    "spec": (lambda tmp: ["derive", tmp / "g.toml"], "g.toml", b"\xff", 1),
    "module": (lambda tmp: ["derive", tmp / "g.py"], "g.py", b"x = 1\ny = '\xe9'\n", 2),
    "checked code": (lambda tmp: ["check", tmp / "g.py"], "g.py", b"\n\n\xc3(\n", 3),
    "CSV data": (lambda tmp: data_args(tmp / "d.csv"), "d.csv", b"h,w,size\n1,2,0\n\xff,1,1\n", 3),
}


@pytest.mark.parametrize("case", NOT_UTF8.values(), ids=NOT_UTF8.keys())
def test_bytes_that_are_not_utf8_are_one_error_naming_file_and_line(capsys, tmp_path, case):
    argv, name, content, line = case
    (tmp_path / name).write_bytes(content)
    code, out, err = run(capsys, *argv(tmp_path))
    assert code == 2 and out == ""
    assert one_error(err, f"{tmp_path / name}:{line}: not UTF-8 text")


def test_a_spec_with_windows_line_ends_reads_as_with_unix_ones(capsys, tmp_path):
    text = '[network]\nname = "net"\nsizes = [2, 1]\nactivation = "sigmoid"\nloss = "sse"\n'
    (tmp_path / "unix.toml").write_bytes(text.encode())
    (tmp_path / "windows.toml").write_bytes(text.replace("\n", "\r\n").encode())
    unix, windows = (
        run(capsys, "derive", tmp_path / name) for name in ("unix.toml", "windows.toml")
    )
    assert unix[0] == 0 and unix[1] and windows == unix
