"""yingdu-push: sign and push usage records to yingdu (影都算力券服务平台).

    yingdu-push keygen provider.key                  # prints the public key to register in the provider portal
    yingdu-push push --url URL --api-key yk_… --key provider.key records.ndjson
    sacct --parsable2 --noheader --allocations --format=JobIDRaw,Cluster,Account,WCKey,State,Start,End,ElapsedRaw,\\
AllocTRES,NodeList,Comment --starttime=now-2days | yingdu-push from-slurm - --map map.toml --state state.json \\
        --url URL --api-key yk_… --key provider.key
    yingdu-push from-opencost allocation.json --map map.toml --dry-run
    yingdu-push from-prometheus --prometheus http://prom:9090 --map map.toml --state state.json --dry-run

Re-running any command is safe: record ids are stable and the platform de-duplicates by record id forever.
"""

import argparse
import json
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta

from yingdu_push import INGEST_API_VERSION, __version__
from yingdu_push.adapters import (
    SACCT_FORMAT,
    InputError,
    Mapping,
    Result,
    from_opencost,
    from_prometheus,
    from_slurm,
    parse_moment,
)
from yingdu_push.client import keygen, load_key, post, signed_batch, write_signed_csv


def _read(path: str) -> tuple[str, str]:
    """(text, name for messages) of a file, '-' being standard input."""
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(), path
    except OSError as error:
        raise InputError(f"{path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 ({error.reason} at byte {error.start})") from None


def _ndjson(path: str) -> list[dict]:
    text, name = _read(path)
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"{name}:{number}: not a JSON object: {error.msg} (column {error.colno})") from None
        if not isinstance(record, dict):
            raise InputError(f"{name}:{number}: not a JSON object")
        records.append(record)
    return records


# --- state file: the record ids already pushed, so an incremental run sends only what is new ------------------------

class State:
    """``{"version": 1, "pushed": {record_id: ended_at}}``, kept for `keep_days` before the newest end it holds (not
    the clock), written atomically after a successful push. Losing it is harmless: the platform answers duplicates."""

    def __init__(self, path: str | None, keep_days: int):
        self.path, self.keep = path, timedelta(days=keep_days)
        self.pushed: dict[str, str] = {}
        if path and os.path.exists(path):
            try:
                with open(path, encoding="utf-8") as handle:
                    data = json.load(handle)
                self.pushed = dict(data["pushed"])
            except (OSError, ValueError, KeyError, TypeError) as error:
                raise InputError(f"{path}: not a yingdu-push state file ({error}); move it away to start afresh") \
                    from None

    def newest_end(self) -> datetime | None:
        ends = [parse_moment(end) for end in self.pushed.values()]
        return max(ends) if ends else None

    def new(self, records: list[dict]) -> list[dict]:
        return [record for record in records if record["record_id"] not in self.pushed]

    def save(self, records: list[dict]) -> None:
        if not self.path:
            return
        self.pushed.update({record["record_id"]: record["ended_at"] for record in records})
        newest = self.newest_end()
        if newest is not None:
            self.pushed = {rid: end for rid, end in self.pushed.items() if parse_moment(end) >= newest - self.keep}
        directory = os.path.dirname(os.path.abspath(self.path))
        with tempfile.NamedTemporaryFile("w", dir=directory, delete=False, encoding="utf-8") as handle:
            json.dump({"version": 1, "pushed": self.pushed}, handle, indent=0, sort_keys=True)
            handle.write("\n")
        os.replace(handle.name, self.path)


def _send(records: list[dict], arguments) -> int:
    """Push in signed batches; print one receipt line per record and a summary; 0 if nothing was refused."""
    private_key = load_key(arguments.key)
    totals = {"accepted": 0, "duplicate": 0, "conflict": 0, "invalid": 0}
    for start in range(0, len(records), arguments.batch_size):
        batch = records[start:start + arguments.batch_size]
        answer = post(arguments.url, arguments.api_key, signed_batch(batch, private_key,
                                                                     per_record=arguments.per_record))
        for status in totals:
            totals[status] += answer[status]
        for result in answer["results"]:
            if result["status"] in ("conflict", "invalid"):
                print(f"{result['status']}: {result.get('record_id')}: {result.get('code')} {result.get('message')}",
                      file=sys.stderr)
            else:
                print(json.dumps({"record_id": result["record_id"], "status": result["status"],
                                  "quarantine": result.get("quarantine"),
                                  "leaf_index": result.get("leaf_index"), "leaf_hash": result.get("leaf_hash")}))
    print(f"accepted {totals['accepted']}, duplicate {totals['duplicate']}, conflict {totals['conflict']}, "
          f"invalid {totals['invalid']}", file=sys.stderr)
    return 0 if totals["conflict"] == 0 and totals["invalid"] == 0 else 1


def _deliver(result: Result, arguments) -> int:
    """The common tail of every adapter: state filter, dry-run or push, then the state update."""
    for reason in result.skipped:
        print(f"skipped: {reason}", file=sys.stderr)
    state = State(arguments.state, arguments.state_keep_days)
    records = state.new(result.records)
    already = len(result.records) - len(records)
    if arguments.dry_run:
        for record in records:
            print(json.dumps(record, ensure_ascii=False, sort_keys=True))
        print(f"dry run: {len(records)} records would be sent ({already} already pushed per the state file, "
              f"{len(result.skipped)} skipped); nothing sent, state unchanged", file=sys.stderr)
        return 0
    missing = [f"--{name.replace('_', '-')}" for name in ("url", "api_key", "key") if not getattr(arguments, name)]
    if missing:
        raise InputError(f"{', '.join(missing)} needed to push (or --dry-run to only print the records)")
    if not records:
        print(f"nothing new to push ({already} already pushed per the state file)", file=sys.stderr)
        return 0
    status = _send(records, arguments)
    if status == 0:
        state.save(records)
    return status


def _push_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--url", required=required, help="the platform, e.g. https://yingdu.example.cn")
    parser.add_argument("--api-key", required=required, help="the provider's API key (yk_…)")
    parser.add_argument("--key", required=required, help="signing key file written by keygen")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--per-record", action="store_true", help="sign each record instead of the batch")


def _adapter_options(parser: argparse.ArgumentParser) -> None:
    _push_options(parser, required=False)
    parser.add_argument("--map", required=True, dest="mapping", help="mapping file (TOML): who a job belongs to")
    parser.add_argument("--dry-run", action="store_true", help="print the records that would be sent; send nothing")
    parser.add_argument("--state", help="state file for incremental runs: records pushed before are not sent again")
    parser.add_argument("--state-keep-days", type=int, default=14, help="how long the state remembers a record")
    parser.add_argument("--skip-unmapped", action="store_true",
                        help="leave out jobs the mapping does not name (reported on stderr) instead of stopping")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yingdu-push", description=__doc__.splitlines()[0],
                                     epilog=f"yingdu-push {__version__}, ingest API version {INGEST_API_VERSION}")
    parser.add_argument("--version", action="version",
                        version=f"yingdu-push {__version__} (ingest API {INGEST_API_VERSION})")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("keygen", help="create a signing key file and print its public key")
    command.add_argument("key_file")
    command = commands.add_parser("push", help="push NDJSON records in signed batches")
    command.add_argument("records", help="NDJSON file, one record per line ('-' for standard input)")
    _push_options(command, required=True)
    command = commands.add_parser("sign-csv", help="write a CSV with a per-record signature column for the portal")
    command.add_argument("records", help="NDJSON file, one record per line")
    command.add_argument("output", help="CSV file to write")
    command.add_argument("--key", required=True)
    command = commands.add_parser(
        "from-slurm", help="records from sacct output, one per finished job with GPUs",
        description=f"Reads `sacct --parsable2 --noheader --allocations --format={SACCT_FORMAT}` output.")
    command.add_argument("sacct_output", help="file with sacct's output ('-' for standard input)")
    command.add_argument("--timezone", default="Asia/Shanghai", help="the zone of sacct's Start/End (the cluster's)")
    command.add_argument("--cluster", help="cluster name in record ids (default: sacct's Cluster field)")
    _adapter_options(command)
    command = commands.add_parser("from-opencost", help="records from an OpenCost allocation API answer (JSON)")
    command.add_argument("allocation_json", help="saved answer of /allocation/compute ('-' for standard input)")
    command.add_argument("--cluster", help="cluster name in record ids (default: the allocation's cluster)")
    _adapter_options(command)
    command = commands.add_parser("from-prometheus", help="GPU-hours per job and period from DCGM metrics")
    command.add_argument("--prometheus", required=True, help="Prometheus base URL, e.g. http://127.0.0.1:9090")
    command.add_argument("--start", help="RFC 3339 or Unix seconds (default: the state's last period end)")
    command.add_argument("--end", help="RFC 3339 or Unix seconds (default: now); only whole periods are read")
    command.add_argument("--period", type=int, default=3600, help="seconds per record, aligned to Unix time")
    command.add_argument("--step", type=int, default=60, help="query resolution in seconds (≥ the scrape interval)")
    command.add_argument("--metric", default="DCGM_FI_DEV_GPU_UTIL")
    command.add_argument("--job-label", default="hpc_job", help="the label naming the job on the metric")
    command.add_argument("--selector", default="", help='extra label matchers, e.g. cluster="hr1"')
    command.add_argument("--instance", default="prometheus", help="name of this source in record ids")
    _adapter_options(command)
    return parser


def run(arguments) -> int:
    command = arguments.command
    if command == "keygen":
        public_key, kid = keygen(arguments.key_file)
        print(f"public key: {public_key}\nkey id:     {kid}")
        return 0
    if command == "sign-csv":
        return write_signed_csv(arguments.records, arguments.output, load_key(arguments.key))
    if command == "push":
        return _send(_ndjson(arguments.records), arguments)
    mapping = Mapping.load(arguments.mapping)
    if command == "from-slurm":
        text, name = _read(arguments.sacct_output)
        result = from_slurm(text.splitlines(), source=name, mapping=mapping, zone=arguments.timezone,
                            cluster=arguments.cluster, skip_unmapped=arguments.skip_unmapped)
    elif command == "from-opencost":
        text, name = _read(arguments.allocation_json)
        result = from_opencost(text, source=name, mapping=mapping, cluster=arguments.cluster,
                               skip_unmapped=arguments.skip_unmapped)
    else:
        state = State(arguments.state, arguments.state_keep_days)
        start = parse_moment(arguments.start) if arguments.start else state.newest_end()
        if start is None:
            raise InputError("--start is needed on the first run (later runs continue from the state file)")
        end = parse_moment(arguments.end) if arguments.end else datetime.now(UTC)
        result = from_prometheus(arguments.prometheus, mapping=mapping, start=start, end=end,
                                 period=arguments.period, step=arguments.step, metric=arguments.metric,
                                 job_label=arguments.job_label, selector=arguments.selector,
                                 instance=arguments.instance, skip_unmapped=arguments.skip_unmapped)
    return _deliver(result, arguments)


def main(argv=None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        return run(arguments)
    except InputError as error:
        print(f"yingdu-push: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
