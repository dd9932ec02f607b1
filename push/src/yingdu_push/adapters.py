"""Adapters: turn a scheduler's or a monitor's own accounting into yingdu usage records.

Every adapter yields records with stable ids: the same input (the same job, allocation or period) always gives the
same ``record_id``, so pushing it again is answered ``duplicate`` by the platform and never counted twice. Problems in
the input raise ``InputError`` naming the file and line (``file:line``) or the JSON path.

The mapping file (TOML) says which enterprise, project tag and SKU a job belongs to::

    sku = "gpu-a100-hour"                     # default SKU

    [gpu_type]                                # Slurm gres type -> SKU (optional)
    a100 = "gpu-a100-hour"
    h800 = "gpu-h800-hour"

    [account."huairou-drama"]                 # Slurm account (also: wckey, comment, namespace, job)
    enterprise_uscc = "91110116MA01ABCD11"
    project_tag = "drama-01"
    sku = "gpu-a100-hour"                     # optional, overrides the default

Keys may be shell-style patterns ("drama-*"). Each adapter tries its kinds in a fixed order (Slurm: explicit WCKey,
comment, account, default WCKey; OpenCost: namespace, job; Prometheus: job); within a kind an exact key wins over a
pattern, and patterns are tried in file order.
"""

import fnmatch
import json
import re
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAP_KINDS = ("wckey", "comment", "account", "namespace", "job")
QUANTUM = Decimal("0.000001")


class InputError(Exception):
    """Input an adapter cannot read; the message names where (file:line or a JSON path) and what is wrong."""


@dataclass
class Target:
    enterprise_uscc: str
    project_tag: str
    sku: str


@dataclass
class Mapping:
    path: str
    default_sku: str | None = None
    gpu_types: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: str) -> "Mapping":
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:  # the message carries "(at line N, column M)"
            raise InputError(f"{path}: not valid TOML: {error}") from None
        except OSError as error:
            raise InputError(f"{path}: {error.strerror}") from None
        unknown = set(data) - {"sku", "gpu_type", *MAP_KINDS}
        if unknown:
            raise InputError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; expected sku, gpu_type, "
                             f"{', '.join(MAP_KINDS)}")
        mapping = cls(path=path, default_sku=data.get("sku"), gpu_types=data.get("gpu_type", {}))
        for kind in MAP_KINDS:
            for key, entry in data.get(kind, {}).items():
                missing = [name for name in ("enterprise_uscc", "project_tag") if not isinstance(entry.get(name), str)]
                if missing:
                    raise InputError(f"{path}: [{kind}.{json.dumps(key)}] lacks {', '.join(missing)}")
            mapping.tables[kind] = data.get(kind, {})
        return mapping

    def find(self, candidates: list[tuple[str, str]]) -> tuple[str, str, dict] | None:
        """The first (kind, value) in order whose value the mapping names: within a kind an exact key, else the first
        matching pattern in file order."""
        for kind, value in candidates:
            table = self.tables.get(kind, {})
            if not value:
                continue
            if value in table:
                return kind, value, table[value]
            for key, entry in table.items():
                if any(c in key for c in "*?[") and fnmatch.fnmatchcase(value, key):
                    return kind, value, entry
        return None

    def target(self, candidates: list[tuple[str, str]], *, gpu_type: str = "", where: str) -> Target | None:
        found = self.find(candidates)
        if found is None:
            return None
        _kind, _value, entry = found
        sku = entry.get("sku") or self.gpu_types.get(gpu_type) or self.default_sku
        if not sku:
            raise InputError(f"{where}: no SKU: the mapping {self.path} has no sku for "
                             f"{' / '.join(f'{k}={v}' for k, v in candidates if v)} and no default sku")
        return Target(entry["enterprise_uscc"], entry["project_tag"], sku)


@dataclass
class Result:
    records: list[dict]
    skipped: list[str]  # human-readable reasons, one per input unit left out


def card_hours(gpus: Decimal | int, seconds: Decimal | int) -> Decimal:
    """GPUs × seconds → card-hours with at most 6 decimals (half up), the platform's precision."""
    return (Decimal(gpus) * Decimal(seconds) / 3600).quantize(QUANTUM, rounding=ROUND_HALF_UP)


def _quantity(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f").rstrip("0")


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _identifier(text: str) -> str:
    """Visible ASCII only, as record ids need: anything else becomes '_'."""
    return re.sub(r"[^\x21-\x7e]", "_", text)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {name!r}") from None


# --- Slurm ----------------------------------------------------------------------------------------------------------

SACCT_FIELDS = ("JobIDRaw", "Cluster", "Account", "WCKey", "State", "Start", "End", "ElapsedRaw", "AllocTRES",
                "NodeList", "Comment")
SACCT_FORMAT = ",".join(SACCT_FIELDS)
FINISHED_STATES = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED",
                   "BOOT_FAIL", "DEADLINE"}
_GRES_GPU = re.compile(r"^gres/gpu(?::(?P<type>[^=]+))?=(?P<count>\d+)$")


def slurm_gpus(alloc_tres: str) -> tuple[int, str]:
    """(GPU count, GPU type or '') from AllocTRES, e.g. 'cpu=8,gres/gpu:a100=2,gres/gpu=2,mem=64G,node=1'."""
    total, typed = None, {}
    for item in filter(None, alloc_tres.split(",")):
        match = _GRES_GPU.match(item)
        if match:
            if match["type"]:
                typed[match["type"]] = int(match["count"])
            else:
                total = int(match["count"])
    if total is None:
        total = sum(typed.values())
    gpu_type = next(iter(typed)) if len(typed) == 1 else ""
    return total, gpu_type


def from_slurm(lines, *, source: str, mapping: Mapping, zone: str = "Asia/Shanghai",
               cluster: str | None = None, skip_unmapped: bool = False) -> Result:
    """Records from `sacct --parsable2 --noheader --allocations --format=<SACCT_FORMAT>` output, one per finished
    job with GPUs: quantity = GPUs × ElapsedRaw / 3600 card-hours, record id ``slurm:<cluster>:<JobIDRaw>``."""
    tz = _zone(zone)
    records, skipped = [], []
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        where = f"{source}:{number}"
        parts = line.split("|")
        if len(parts) < len(SACCT_FIELDS):
            raise InputError(f"{where}: {len(parts)} fields, expected {len(SACCT_FIELDS)} "
                             f"(run sacct with --parsable2 --noheader --format={SACCT_FORMAT})")
        # Comment is last, so a '|' inside a comment cannot shift the other fields
        row = dict(zip(SACCT_FIELDS, parts[:len(SACCT_FIELDS) - 1] + ["|".join(parts[len(SACCT_FIELDS) - 1:])],
                       strict=True))
        job = row["JobIDRaw"]
        if not re.fullmatch(r"\d+([_+]\d+)?(\.\S+)?", job):
            raise InputError(f"{where}: JobIDRaw {job!r} is not a Slurm job id (is the header there? use --noheader)")
        if "." in job:
            continue  # a job step (sacct without --allocations): the allocation line already counts the job
        state = row["State"].split()[0] if row["State"] else ""
        if state not in FINISHED_STATES:
            skipped.append(f"{where}: job {job} is {state or 'in no state'}, not finished")
            continue
        try:
            elapsed = int(row["ElapsedRaw"])
            started = datetime.fromisoformat(row["Start"]).replace(tzinfo=tz)
            ended = datetime.fromisoformat(row["End"]).replace(tzinfo=tz)
        except ValueError:
            raise InputError(f"{where}: job {job}: Start {row['Start']!r}, End {row['End']!r} or ElapsedRaw "
                             f"{row['ElapsedRaw']!r} is not a time (sacct prints YYYY-MM-DDTHH:MM:SS)") from None
        gpus, gpu_type = slurm_gpus(row["AllocTRES"])
        if gpus == 0 or elapsed == 0:
            skipped.append(f"{where}: job {job} used no GPU time")
            continue
        # An explicit WCKey (--wckey) names the project most precisely; a default one ('*' before it: the user's
        # default, not chosen for this job) only after the comment and the account.
        wckey, default = row["WCKey"].lstrip("*"), row["WCKey"].startswith("*")
        candidates = [("wckey", "" if default else wckey), ("comment", row["Comment"]), ("account", row["Account"]),
                      ("wckey", wckey if default else "")]
        target = mapping.target(candidates, gpu_type=gpu_type, where=where)
        if target is None:
            problem = (f"{where}: job {job}: the mapping {mapping.path} names none of "
                       f"{', '.join(f'{k} {v!r}' for k, v in candidates if v)}")
            if not skip_unmapped:
                raise InputError(problem)
            skipped.append(problem)
            continue
        name = cluster or row["Cluster"] or "cluster"
        records.append({
            "record_id": _identifier(f"slurm:{name}:{job}"), "enterprise_uscc": target.enterprise_uscc,
            "project_tag": target.project_tag, "sku": target.sku, "quantity": _quantity(card_hours(gpus, elapsed)),
            "started_at": _rfc3339(started), "ended_at": _rfc3339(ended), "job_id": _identifier(job),
            **({"node_id": _identifier(row["NodeList"])[:128]} if row["NodeList"] else {}),
        })
    return Result(records, skipped)


# --- OpenCost -------------------------------------------------------------------------------------------------------

def from_opencost(text: str, *, source: str, mapping: Mapping, cluster: str | None = None,
                  skip_unmapped: bool = False) -> Result:
    """Records from an OpenCost allocation API answer (GET /allocation/compute?window=…&aggregate=namespace…): one per
    allocation and window with gpuHours > 0, record id ``opencost:<cluster>:<allocation name>:<start>:<end>``."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{source}:{error.lineno}: not valid JSON: {error.msg}") from None
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise InputError(f"{source}: not an OpenCost allocation answer: no 'data' list")
    if document.get("code", 200) != 200:
        raise InputError(f"{source}: OpenCost answered code {document.get('code')}: {document.get('message', '')}")
    records, skipped = [], []
    for step, allocations in enumerate(document["data"]):
        if not isinstance(allocations, dict):
            raise InputError(f"{source}: data[{step}] is not an object of allocations")
        for name, allocation in allocations.items():
            where = f"{source}: data[{step}][{json.dumps(name, ensure_ascii=False)}]"
            if not isinstance(allocation, dict):
                raise InputError(f"{where} is not an allocation object")
            properties = allocation.get("properties") or {}
            try:
                gpu_hours = Decimal(str(allocation.get("gpuHours", 0)))
                started = datetime.fromisoformat(allocation["start"].replace("Z", "+00:00"))
                ended = datetime.fromisoformat(allocation["end"].replace("Z", "+00:00"))
            except (KeyError, TypeError, ValueError, ArithmeticError):
                raise InputError(f"{where}: needs gpuHours (a number) and start/end (RFC 3339)") from None
            if gpu_hours <= 0:
                skipped.append(f"{where}: no GPU hours")
                continue
            if name.startswith("__") and name.endswith("__"):  # __idle__, __unallocated__: nobody's work
                skipped.append(f"{where}: {name} is not a workload")
                continue
            candidates = [("namespace", properties.get("namespace") or ""), ("job", name)]
            target = mapping.target(candidates, where=where)
            if target is None:
                problem = (f"{where}: the mapping {mapping.path} names neither namespace "
                           f"{properties.get('namespace')!r} nor job {name!r}")
                if not skip_unmapped:
                    raise InputError(problem)
                skipped.append(problem)
                continue
            cluster_name = cluster or properties.get("cluster") or "cluster"
            window = allocation.get("window") or {}
            # the id names the queried window (not the running time inside it, which a late recomputation may move)
            window_id = f"{window.get('start') or _rfc3339(started)}:{window.get('end') or _rfc3339(ended)}"
            records.append({
                "record_id": _identifier(f"opencost:{cluster_name}:{name}:{window_id}")[:128],
                "enterprise_uscc": target.enterprise_uscc, "project_tag": target.project_tag, "sku": target.sku,
                "quantity": _quantity(gpu_hours.quantize(QUANTUM, rounding=ROUND_HALF_UP)),
                "started_at": _rfc3339(started), "ended_at": _rfc3339(ended), "job_id": _identifier(name)[:128],
            })
    return Result(records, skipped)


# --- Prometheus / DCGM ----------------------------------------------------------------------------------------------

def parse_moment(text: str) -> datetime:
    """RFC 3339 with a zone, or Unix seconds."""
    try:
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return datetime.fromtimestamp(float(text), UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{text!r} is not a time (RFC 3339 with a zone, or Unix seconds)") from None
    if moment.tzinfo is None:
        raise InputError(f"{text!r} has no time zone")
    return moment


def prometheus_query_range(url: str, query: str, start: datetime, end: datetime, step: int) -> list[dict]:
    parameters = urllib.parse.urlencode({"query": query, "start": f"{start.timestamp():.3f}",
                                         "end": f"{end.timestamp():.3f}", "step": f"{step}s"})
    address = f"{url.rstrip('/')}/api/v1/query_range?{parameters}"
    try:
        with urllib.request.urlopen(address, timeout=60) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace")[:500]
        raise InputError(f"{address}: HTTP {error.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as error:
        raise InputError(f"{url}: Prometheus not reachable: {error}") from None
    except json.JSONDecodeError:
        raise InputError(f"{address}: the answer is not JSON (is this the Prometheus HTTP API?)") from None
    if answer.get("status") != "success" or answer.get("data", {}).get("resultType") != "matrix":
        raise InputError(f"{address}: {answer.get('errorType', '')} {answer.get('error', 'not a matrix answer')}")
    return answer["data"]["result"]


def from_prometheus(url: str, *, mapping: Mapping, start: datetime, end: datetime, period: int = 3600,
                    step: int = 60, metric: str = "DCGM_FI_DEV_GPU_UTIL", job_label: str = "hpc_job",
                    selector: str = "", instance: str = "prometheus", skip_unmapped: bool = False) -> Result:
    """GPU-hours per job per period from DCGM metrics: a GPU counts for a job at each step where it reports a sample
    carrying the job's label. The range [start, end) is cut into periods aligned to multiples of `period` seconds
    (Unix time); only whole periods are read, so the same range always yields the same records, with record id
    ``prom:<instance>:<job>:<period start>``."""
    if period <= 0 or step <= 0 or period % step:
        raise InputError(f"--period ({period}s) must be a positive multiple of --step ({step}s)")
    first = -(-int(start.timestamp()) // period) * period
    last = int(end.timestamp()) // period * period
    if last <= first:
        return Result([], [f"no whole period of {period}s between {_rfc3339(start)} and {_rfc3339(end)}"])
    extra = f",{selector}" if selector else ""
    # One value per job and step: the number of GPUs reporting the job's label (samples at [t - step, t) count).
    query = f'count by ({job_label}) (last_over_time({metric}{{{job_label}!=""{extra}}}[{step}s]))'
    records, skipped = [], []
    for period_start in range(first, last, period):
        lower = datetime.fromtimestamp(period_start, UTC)
        upper = datetime.fromtimestamp(period_start + period, UTC)
        # the points at lower+step … upper cover the intervals [lower, upper)
        series = prometheus_query_range(url, query, lower + timedelta(seconds=step), upper, step)
        for one in sorted(series, key=lambda s: s["metric"].get(job_label, "")):
            job = one["metric"].get(job_label, "")
            gpu_steps = sum(Decimal(value) for _t, value in one["values"])
            if gpu_steps <= 0:
                continue
            where = f"{url} {metric}{{{job_label}={json.dumps(job)}}} at {_rfc3339(lower)}"
            target = mapping.target([("job", job)], where=where)
            if target is None:
                problem = f"{where}: the mapping {mapping.path} does not name job {job!r}"
                if not skip_unmapped:
                    raise InputError(problem)
                skipped.append(problem)
                continue
            records.append({
                "record_id": _identifier(f"prom:{instance}:{job}:{_rfc3339(lower)}")[:128],
                "enterprise_uscc": target.enterprise_uscc, "project_tag": target.project_tag, "sku": target.sku,
                "quantity": _quantity(card_hours(gpu_steps, step)),
                "started_at": _rfc3339(lower), "ended_at": _rfc3339(upper), "job_id": _identifier(job)[:128],
            })
    return Result(records, skipped)
