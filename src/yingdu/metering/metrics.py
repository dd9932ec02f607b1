"""Ingestion metrics in the Prometheus text exposition format, version 0.0.4, written by hand (no client library).

Format: for each metric family a ``# HELP name text`` and a ``# TYPE name counter|gauge`` line, then one
``name{label="value",…} number`` line per sample; label values escape backslash, double quote and newline.
"""

from dataclasses import dataclass, field

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class MetricFamily:
    name: str
    kind: str  # "counter" or "gauge"
    help: str
    samples: list[tuple[dict[str, str], int]] = field(default_factory=list)


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def exposition(families: list[MetricFamily]) -> str:
    """The text a Prometheus server scrapes."""
    lines = []
    for family in families:
        lines.append(f"# HELP {family.name} {_escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for labels, value in family.samples:
            label_text = ",".join(f'{key}="{_escape_label(str(val))}"' for key, val in labels.items())
            lines.append(f"{family.name}{{{label_text}}} {value}" if label_text else f"{family.name} {value}")
    return "\n".join(lines) + "\n"
