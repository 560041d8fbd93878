#!/usr/bin/env python3
"""Renders bench/run's JSON lines as a Markdown table with Reprise / peer ratios."""
import datetime
import json
import os
import sys

SERVERS = ["reprise", "reprise-socketioxide", "node", "flask"]
NAMES = {
    "reprise": "Reprise",
    "reprise-socketioxide": "Reprise on socketioxide",
    "node": "Node socket.io",
    "flask": "Flask-SocketIO",
}

# scenario, label, path into the result, True when higher is better (None: no ratio)
ROWS = [
    ("fanout_max", "offered deliveries/s", ["offered_per_s"], None),
    ("fanout_max", "delivered events/s (the most each server delivers)", ["events_per_s"], True),
    ("fanout_max", "events per server CPU-second (instances + Redis)", ["events_per_server_cpu_s"], True),
    ("fanout_max", "latency p99 ms", ["latency_ms", "p99"], False),
    ("fanout_max", "gaps + duplicates", ["gaps+duplicates"], None),
    ("fanout_half", "offered deliveries/s (half of Reprise's maximum)", ["offered_per_s"], None),
    ("fanout_half", "delivered events/s", ["events_per_s"], True),
    ("fanout_half", "events per server CPU-second (instances + Redis)", ["events_per_server_cpu_s"], True),
    ("fanout_half", "latency p50 ms", ["latency_ms", "p50"], False),
    ("fanout_half", "latency p99 ms", ["latency_ms", "p99"], False),
    ("fanout_half", "gaps + duplicates", ["gaps+duplicates"], None),
    ("fanout", "offered deliveries/s", ["offered_per_s"], None),
    ("fanout", "delivered events/s", ["events_per_s"], True),
    ("fanout", "events per server CPU-second (instances + Redis)", ["events_per_server_cpu_s"], True),
    ("fanout", "latency p50 ms", ["latency_ms", "p50"], False),
    ("fanout", "latency p99 ms", ["latency_ms", "p99"], False),
    ("fanout", "gaps + duplicates", ["gaps+duplicates"], None),
    ("claim", "claims/s", ["claims_per_s"], True),
    ("claim", "reply p50 ms", ["latency_ms", "p50"], False),
    ("claim", "reply p99 ms", ["latency_ms", "p99"], False),
    ("claim", "racing pairs answered", ["pairs answered"], None),
    ("claim", "double starts", ["pairs", "double_starts"], None),
    ("storm", "watchers resumed", ["resumed"], None),
    ("storm", "all resumed after ms", ["resume_all_ms"], False),
    ("storm", "gaps + duplicates", ["gaps+duplicates"], None),
    ("idle", "server RSS per idle connection, bytes", ["rss_per_connection_bytes"], False),
]


def lookup(result, path):
    if path == ["gaps+duplicates"]:
        if "gaps" not in result:
            return None
        return (result.get("gaps") or 0) + (result.get("duplicates") or 0)
    if path == ["pairs answered"]:
        pairs = result.get("pairs")
        if not isinstance(pairs, dict):
            return None
        return f"{pairs['pairs'] - pairs['unanswered']} of {pairs['pairs']}"
    value = result
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def merge_idle(results):
    """Several idle loadgen processes ran at once against one server: one figure."""
    total = sum(r.get("connected") or 0 for r in results)
    before = min((r.get("server_rss_before") or 0) for r in results)
    after = max((r.get("server_rss_after") or 0) for r in results)
    merged = dict(results[0])
    merged["connected"] = total
    merged["rss_per_connection_bytes"] = round((after - before) / total) if total else None
    return merged


def fmt(value):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def ratio(reprise, peer, higher_better):
    if not isinstance(reprise, (int, float)) or not isinstance(peer, (int, float)):
        return "–"
    if higher_better:
        return f"{reprise / peer:.1f}×" if peer else "∞"
    return f"{peer / reprise:.1f}×" if reprise else ("∞" if peer else "=")


def main():
    lines = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    results, idle = {}, {}
    ceiling = None
    for r in lines:
        if r.get("scenario") == "redis_publish_ceiling":
            ceiling = r
        elif r.get("scenario") == "idle":
            idle.setdefault((r["server"], r["instances"]), []).append(r)
        elif "server" in r:
            results[(r["server"], r["instances"], r["scenario"])] = r
    for key, group in idle.items():
        results[key + ("idle",)] = merge_idle(group)
    servers = [s for s in SERVERS if any(k[0] == s for k in results)]
    peers = [s for s in servers if not s.startswith("reprise")]

    out = []
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cores = os.cpu_count()
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    out.append(f"Measured {now} on one machine: {cores} cores, {mem_gib:.0f} GiB, loopback only; "
               "every server, Redis and the load generator share the cores.")
    if ceiling:
        out.append(f"Redis `PUBLISH` ceiling here (redis-benchmark): {ceiling['publishes_per_s']:,.0f}/s "
                   f"pipelined 16 deep, {ceiling['unpipelined_per_s']:,.0f}/s one at a time.")
    out.append("")
    for count in (1, 2):
        out.append(f"**{'One instance' if count == 1 else 'Two instances sharing one Redis'}**")
        out.append("")
        header = ["scenario", "figure"] + [NAMES[s] for s in servers]
        header += [f"Reprise / {NAMES[p]}" for p in peers]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        for scenario, label, path, higher in ROWS:
            values = {s: lookup(results.get((s, count, scenario), {}), path) for s in servers}
            if all(v is None for v in values.values()):
                continue
            row = [scenario, label] + [fmt(values[s]) for s in servers]
            row += [ratio(values.get("reprise"), values[p], higher) if higher is not None else "" for p in peers]
            out.append("| " + " | ".join(row) + " |")
        out.append("")
    failures = [k for k, r in results.items() if r.get("error")]
    if failures:
        out.append("")
        out.append("Runs that did not finish: " + ", ".join(f"{s} ×{c} {sc}" for s, c, sc in failures) + ".")
    print("\n".join(out))


if __name__ == "__main__":
    main()
