"""from-slurm against the `sacct` of a real single-node Slurm that the test starts: munge, a private MariaDB, slurmdbd,
slurmctld and slurmd (Debian's slurm-wlm), all on private sockets and random ports under tmp_path.

Needs root (munged and the Slurm daemons run as root here) and the Debian packages that `make system-deps` installs;
skipped with the reason otherwise. The daemons run without faketime (their clock is the real one); the times in the
records come from sacct, never from the test's clock.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from datetime import datetime
from decimal import Decimal

import pytest
from yingdu_push.adapters import card_hours

from yingdu.metering.models import UsageRecord

from .conftest import run_cli

BINARIES = ("munged", "mungekey", "mariadb-install-db", "mariadbd", "slurmdbd", "slurmctld", "slurmd", "sacctmgr",
            "sbatch", "sacct")
FORMAT = "JobIDRaw,Cluster,Account,WCKey,State,Start,End,ElapsedRaw,AllocTRES,NodeList,Comment"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    def __init__(self, root):
        self.root, self.processes = root, []
        self.env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME", "FAKETIME_NO_CACHE")}
        self.env["SLURM_CONF"] = str(root / "etc/slurm.conf")
        self.env["TZ"] = "Asia/Shanghai"

    def start(self, *command, log: str):
        handle = open(self.root / "log" / log, "w")
        self.processes.append((subprocess.Popen(command, env=self.env, stdout=handle, stderr=subprocess.STDOUT,
                                                start_new_session=True), handle))

    def run(self, *command, timeout=60) -> str:
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
        return done.stdout

    def wait(self, what: str, check, limit: float = 90):
        give_up = time.monotonic() + limit
        while time.monotonic() < give_up:
            try:
                if check():
                    return
            except (OSError, AssertionError, subprocess.TimeoutExpired):
                pass
            time.sleep(0.5)
        logs = {p.name: p.read_text()[-1500:] for p in (self.root / "log").iterdir()}
        raise AssertionError(f"{what} did not happen in time; logs: {logs}")

    def stop(self):
        for process, handle in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            handle.close()


@pytest.fixture
def slurm(tmp_path_factory):
    missing = [name for name in BINARIES if shutil.which(name) is None]
    if missing:
        pytest.skip(f"Slurm/munge/MariaDB binaries absent ({', '.join(missing)}; `make system-deps` installs them)")
    if os.geteuid() != 0:
        pytest.skip("the single-node Slurm of this test runs its daemons as root")
    root = tmp_path_factory.mktemp("slurm")  # short: unix socket paths are limited to 107 bytes
    for name in ("etc", "log", "state", "spool", "db"):
        (root / name).mkdir()
    cluster = Cluster(root)
    host = socket.gethostname().split(".")[0]
    munge_socket, db_port, dbd_port = root / "munge.sock", free_port(), free_port()
    ctld_port, slurmd_port = free_port(), free_port()
    try:
        cluster.run("mungekey", "-c", "-k", str(root / "munge.key"))
        cluster.start("munged", "--foreground", "--force", f"--key-file={root / 'munge.key'}",
                      f"--socket={munge_socket}", f"--pid-file={root / 'munged.pid'}",
                      f"--seed-file={root / 'munge.seed'}", f"--log-file={root / 'log/munged.log'}", log="munged.out")
        cluster.run("mariadb-install-db", "--no-defaults", f"--datadir={root / 'db'}", "--user=root",
                    "--auth-root-authentication-method=normal", "--skip-test-db", timeout=120)
        cluster.start("mariadbd", "--no-defaults", f"--datadir={root / 'db'}", "--user=root", f"--port={db_port}",
                      "--bind-address=127.0.0.1", f"--socket={root / 'mysql.sock'}", f"--pid-file={root / 'db.pid'}",
                      "--skip-name-resolve", "--innodb-buffer-pool-size=64M", log="mariadb.out")
        sql = ("CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurm-test'; "
               "GRANT ALL ON *.* TO 'slurm'@'127.0.0.1'; FLUSH PRIVILEGES;")
        cluster.wait("MariaDB start", lambda: cluster.run("mariadb", "--no-defaults", "-S", str(root / "mysql.sock"),
                                                          "-uroot", "-e", "SELECT 1") is not None)
        cluster.run("mariadb", "--no-defaults", "-S", str(root / "mysql.sock"), "-uroot", "-e", sql)
        for index in range(4):  # count-only GPUs: the machine has none; slurmd wants character devices
            (root / f"gpu{index}").symlink_to("/dev/null")
        (root / "etc/gres.conf").write_text(f"NodeName={host} Name=gpu Type=a100 File={root}/gpu[0-3]\n")
        (root / "etc/slurmdbd.conf").write_text(f"""DbdHost={host}
DbdAddr=127.0.0.1
DbdPort={dbd_port}
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket={munge_socket}
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort={db_port}
StorageUser=slurm
StoragePass=slurm-test
StorageLoc=slurm_acct_db
PidFile={root}/slurmdbd.pid
TrackWCKey=yes
""")
        (root / "etc/slurmdbd.conf").chmod(0o600)
        (root / "etc/slurm.conf").write_text(f"""ClusterName=hr1
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={munge_socket}
AccountingStoragePass={munge_socket}
CredType=cred/munge
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SwitchType=switch/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort={dbd_port}
AccountingStorageTRES=gres/gpu,gres/gpu:a100
AccountingStoreFlags=job_comment
TrackWCKey=yes
GresTypes=gpu
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName={host} NodeAddr=127.0.0.1 CPUs=2 RealMemory=500 Gres=gpu:a100:4 State=UNKNOWN
PartitionName=gpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""")
        cluster.start("slurmdbd", "-D", log="slurmdbd.out")
        cluster.wait("slurmdbd start", lambda: cluster.run("sacctmgr", "-i", "add", "cluster", "hr1") is not None)
        cluster.run("sacctmgr", "-i", "add", "account", "huairou-drama,studio-night", "Description=test",
                    "Organization=test")
        cluster.run("sacctmgr", "-i", "add", "user", "root", "Account=huairou-drama,studio-night")
        cluster.run("sacctmgr", "-i", "add", "user", "root", "wckey=drama-01")
        cluster.start("slurmctld", "-D", log="slurmctld.out")
        cluster.start("slurmd", "-D", log="slurmd.out")
        cluster.wait("the node to be idle",
                     lambda: cluster.run("sinfo", "--noheader", "--format=%t").strip() in ("idle", "mix"))
        yield cluster
    finally:
        cluster.stop()


@pytest.mark.django_db(transaction=True)
def test_a_real_slurm_jobs_land_once(slurm, platform):
    slurm.run("sbatch", "-A", "huairou-drama", "--wckey=drama-01", "--gres=gpu:a100:2", "--comment=keyframes ep.1",
              "--wrap", "sleep 3", f"--chdir={slurm.root}")
    slurm.run("sbatch", "-A", "studio-night", "--gres=gpu:1", "--comment=upscale|retry", "--wrap", "sleep 2; exit 3",
              f"--chdir={slurm.root}")
    slurm.run("sbatch", "-A", "huairou-drama", "--wrap", "sleep 1", f"--chdir={slurm.root}")  # no GPU

    def sacct() -> str:
        return slurm.run("sacct", "--parsable2", "--noheader", "--allocations", "--starttime=now-1hour",
                         f"--format={FORMAT}")

    slurm.wait("three finished jobs in sacct",
               lambda: [line.split("|")[4].split()[0] for line in sacct().splitlines()] == ["COMPLETED", "FAILED",
                                                                                          "COMPLETED"])
    output = sacct()
    (slurm.root / "sacct.txt").write_text(output)
    rows = [line.split("|") for line in output.splitlines()]
    status, receipts, err = run_cli("from-slurm", slurm.root / "sacct.txt", "--map", platform.mapping,
                                    *platform.push_options)
    assert status == 0, err
    assert [(r["record_id"], r["status"]) for r in receipts] == [
        (f"slurm:hr1:{rows[0][0]}", "accepted"), (f"slurm:hr1:{rows[1][0]}", "accepted")]
    assert f"job {rows[2][0]} used no GPU time" in err
    stored = {r.record_id: r for r in UsageRecord.objects.filter(provider=platform.provider)}
    for row, gpus, tag in ((rows[0], 2, "drama-01"), (rows[1], 1, "drama-02")):
        record = stored[f"slurm:hr1:{row[0]}"]
        elapsed = (datetime.fromisoformat(row[6]) - datetime.fromisoformat(row[5])).total_seconds()
        assert int(row[7]) == elapsed and Decimal(record.quantity) == card_hours(gpus, int(elapsed))
        assert record.project_tag == tag and record.enterprise_uscc == platform.enterprise.uscc
    assert "|".join(rows[1][10:]) == "upscale|retry"  # a "|" in the comment, as sacct prints it
    status, receipts, err = run_cli("from-slurm", slurm.root / "sacct.txt", "--map", platform.mapping,
                                    *platform.push_options)
    assert status == 0 and [r["status"] for r in receipts] == ["duplicate", "duplicate"]
    assert UsageRecord.objects.filter(provider=platform.provider).count() == 2
