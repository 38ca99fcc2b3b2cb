"""Turns submit/bench.sh's raw results into one table: stdout, bench.md and bench.json.

`report.py RAW_DIR OUT_DIR`. RAW_DIR holds one JSON file per row, written by bench.sh, in run
order (NN-*.json): {"name", "kind": "train"|"sample", "images": images per step (the batch),
"sample_steps": DDPM steps of a sampling run, "ms": [timed step times], "peak_rss_mb",
"note"}, plus flops.json and matmul.json from torch_bench.py. Rows of the same name (bench.sh
--rounds) are pooled. The reference of a kind is the first row of that kind (PyTorch at the
pinned current version).
"""

import glob
import json
import os
import statistics
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def main(raw, out):
    flops = load(os.path.join(raw, "flops.json"))
    matmul = load(os.path.join(raw, "matmul.json"))
    ceiling = statistics.median(matmul["gflops"])
    end_path = os.path.join(raw, "matmul-end.json")
    end = statistics.median(load(end_path)["gflops"]) if os.path.exists(end_path) else None
    per_step_flops = {"train": flops["train_step_flops"], "sample": flops["sample_forward_flops"]}
    rows, reference = [], {}
    for r in merged(sorted(glob.glob(os.path.join(raw, "[0-9]*.json")))):
        ms = statistics.median(r["ms"])
        steps = r.get("sample_steps", 1)  # a sampling image needs every DDPM step
        images_per_s = r["images"] / (ms * steps / 1000)
        reference.setdefault(r["kind"], images_per_s)
        gflops = per_step_flops[r["kind"]] / (ms / 1000) / 1e9
        rows.append(
            {
                "name": r["name"],
                "kind": r["kind"],
                "images_per_s": round(images_per_s, 2),
                "ms_per_step": round(ms, 1),
                "ms_min": round(min(r["ms"]), 1),
                "ms_max": round(max(r["ms"]), 1),
                "timed_steps": len(r["ms"]),
                "round_medians_ms": [round(statistics.median(m), 1) for m in r["rounds"]],
                "ratio_to_reference": round(images_per_s / reference[r["kind"]], 2),
                "peak_rss_mb": r.get("peak_rss_mb"),
                "gflops": round(gflops, 1),
                "fraction_of_matmul_ceiling": round(gflops / ceiling, 3),
                "note": r.get("note", ""),
            }
        )
    meta = {
        "cores": os.cpu_count(),
        "matmul_gflops_median": round(ceiling, 1),
        "matmul_gflops_min": round(min(matmul["gflops"]), 1),
        "matmul_gflops_max": round(max(matmul["gflops"]), 1),
        "matmul_gflops_median_at_end": round(end, 1) if end else None,
        "matmul": f"torch {matmul['torch']} fp32 {matmul['n']}x{matmul['n']} @ {matmul['n']}x{matmul['n']}, "
        f"{matmul['threads']} threads",
        "train_step_flops": flops["train_step_flops"],
        "sample_forward_flops": flops["sample_forward_flops"],
        "flops_source": f"torch.utils.flop_counter.FlopCounterMode, torch {flops['torch']}, on diffusers' "
        "UNet2DModel of the tutorial config (matmul, convolution and attention FLOPs; forward + "
        "backward at batch 128 for a train step, forward at batch 64 for a sampling step)",
    }
    modes = read_modes(os.path.join(raw, "modes.tsv"))
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "bench.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows, "modes": modes}, f, indent=2)
    lines = [
        "| row | images/s | ms per step (median) | min..max ms | ratio to reference | peak RSS MB "
        "| GFLOP/s | of matmul ceiling |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['images_per_s']:.2f} | {r['ms_per_step']:.0f} | "
            f"{r['ms_min']:.0f}..{r['ms_max']:.0f} ({r['timed_steps']}) | {r['ratio_to_reference']:.2f} | "
            f"{r['peak_rss_mb'] or '-'} | {r['gflops']:.1f} | {100 * r['fraction_of_matmul_ceiling']:.0f}% |"
        )
    lines += [
        "",
        f"{meta['cores']} cores. Ceiling: {meta['matmul']}: median {meta['matmul_gflops_median']} GFLOP/s "
        f"(min {meta['matmul_gflops_min']}, max {meta['matmul_gflops_max']})"
        + (f"; at the end of the run: median {end:.1f} GFLOP/s." if end else "."),
        f"FLOPs: {flops['train_step_flops'] / 1e9:.1f} GFLOP a train step, "
        f"{flops['sample_forward_flops'] / 1e9:.2f} GFLOP a sampling step; counted by {meta['flops_source']}.",
        "Train rows: batch 128, Adam; ms per optimizer step. Sample rows: 64 images; ms per DDPM step, "
        "images/s = 64 / (steps x ms per step). Warm-up steps excluded; (n) = timed steps.",
    ]
    if any(len(r["round_medians_ms"]) > 1 for r in rows):
        lines.append(
            "Rows run in several rounds (every other round in reverse order) pool their timed steps; "
            "median ms per round: "
            + "; ".join(
                f"{r['name']} {' / '.join(f'{m:.0f}' for m in r['round_medians_ms'])}"
                for r in rows
                if len(r["round_medians_ms"]) > 1
            )
            + "."
        )
    notes = [f"- {r['name']}: {r['note']}" for r in rows if r["note"]]
    lines += notes
    if modes:
        lines += [
            "",
            "Per-step overhead of the training modes (submit/benchmark-modes.sh: tiny UNet 16/32/32, "
            f"batch 2, one libtorch thread a task; medians of steps {modes[0].get('steps', '2..N')}, after "
            "the JVMs' warm-up; overhead = step_s - compute_s, "
            "serial = step_s - tasks_s, the figure for local[2] with P = 2 where the tasks take turns; "
            "driver update = update_s, the driver's sum of partials, Adam and EMA, part of the overhead):",
            "",
            "| where | mode | P | step ms | compute ms | overhead ms | serial overhead ms | driver update ms | overhead mean ms |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for m in modes:
            lines.append(
                f"| {m['where']} | {m['mode']} | {m['P']} | {m['step_ms']} | {m['compute_ms']} | "
                f"{m['overhead_ms']} | {m['serial_overhead_ms']} | {m.get('update_ms', '')} | "
                f"{m.get('overhead_mean_ms', '')} |"
            )
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "bench.md"), "w") as f:
        f.write(text)
    print(text, end="")


def merged(paths):
    """The raw rows by name, in order of first appearance: a row run in several rounds gets all
    its timed steps (and the round's own list in "rounds") and the largest peak RSS."""
    by_name = {}
    for path in paths:
        r = load(path)
        if r["name"] not in by_name:
            by_name[r["name"]] = dict(r, ms=list(r["ms"]), rounds=[r["ms"]])
        else:
            m = by_name[r["name"]]
            m["ms"] += r["ms"]
            m["rounds"].append(r["ms"])
            m["peak_rss_mb"] = max(m.get("peak_rss_mb") or 0, r.get("peak_rss_mb") or 0)
    return list(by_name.values())


def read_modes(path):
    """The rows of benchmark-modes.sh --tsv, if that part of the benchmark ran."""
    if not os.path.exists(path):
        return []
    keys = ["where", "mode", "P", "step_ms", "compute_ms", "overhead_ms", "serial_overhead_ms",
            "images_per_s", "update_ms", "overhead_mean_ms", "steps"]
    rows = []
    for line in open(path):
        if line.strip() and "where\tmode" not in line and not line.startswith("#"):
            rows.append(dict(zip(keys, line.rstrip("\n").split("\t"))))
    return rows


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
