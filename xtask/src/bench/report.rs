//! The markdown table (README-ready) and the JSON file of `cargo xtask bench`.

use std::fmt::Write;

use serde_json::{json, Value};

use super::stats::ratio;
use super::store::SIZES;
use super::Results;

const MIB: f64 = 1024.0 * 1024.0;

pub fn markdown(r: &Results, runs: usize) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "### Benchmarks ({})", r.machine.describe());
    let _ = writeln!(md, "\nMedian (min–max) over {runs} runs, release builds, floors measured in the same run.\n");
    let _ = writeln!(md, "| Measure | TokenHop | Floor | Ratio | Target |");
    let _ = writeln!(md, "|---|---|---|---|---|");
    if let Some(s) = &r.startup {
        let _ = writeln!(
            md,
            "| First paint as the user sees it (ms, spawn → window mapped and holding more than one colour, Xvfb, seen from outside) | {} | {} (bare Tauri 2 window) | {} | ≤ 1.1× |",
            s.app.paint_ms.show(0),
            s.floor.paint_ms.show(0),
            ratio(s.app.paint_ms.median(), s.floor.paint_ms.median())
        );
        let _ = writeln!(
            md,
            "| … against the bare window with TokenHop's WebKit settings (no compositing, no JIT) | | {} | {} | |",
            s.floor_webkit.paint_ms.show(0),
            ratio(s.app.paint_ms.median(), s.floor_webkit.paint_ms.median())
        );
        let _ = writeln!(
            md,
            "| Cold start to interactive (ms, spawn → ready, Xvfb) | {} | {} (bare Tauri 2 window) | {} | ≤ 1.3× |",
            s.app.start_ms.show(0),
            s.floor.start_ms.show(0),
            ratio(s.app.start_ms.median(), s.floor.start_ms.median())
        );
        let _ = writeln!(
            md,
            "| Idle memory, PSS of all processes (MiB) | {} | {} | {} | ≤ 1.3× |",
            s.app.idle_mib.show(1),
            s.floor.idle_mib.show(1),
            ratio(s.app.idle_mib.median(), s.floor.idle_mib.median())
        );
        let _ = writeln!(
            md,
            "| … against the bare window with TokenHop's WebKit settings (no compositing, no JIT) | | {} | {} | ≤ 1.0× |",
            s.floor_webkit.idle_mib.show(1),
            ratio(s.app.idle_mib.median(), s.floor_webkit.idle_mib.median())
        );
        match &s.after_runs {
            Some(m) => {
                let _ = writeln!(
                    md,
                    "| Memory over {} chain runs in the window (MiB): idle → run 1 → run {} | {:.1} → {:.1} → {:.1} | | {:+.1} % over the runs ({:+.1} % from idle) | ≤ 5 % |",
                    m.runs,
                    m.runs,
                    m.idle_mib,
                    m.after_first_mib,
                    m.after_last_mib,
                    (m.after_last_mib / m.after_first_mib - 1.0) * 100.0,
                    (m.after_last_mib / m.idle_mib - 1.0) * 100.0
                );
                let _ = writeln!(
                    md,
                    "| … and on to run {} (leak or caches filling?) | {:.1} | | {:+.1} % from run {} | |",
                    super::window_runs::LONG_RUNS,
                    m.after_long_mib,
                    (m.after_long_mib / m.after_last_mib - 1.0) * 100.0,
                    m.runs
                );
            }
            None => {
                let _ = writeln!(
                    md,
                    "| Memory over 10 chain runs in the window | not measured (see the bench's output) | | | ≤ 5 % |"
                );
            }
        }
    }
    if let Some(c) = &r.chain {
        let _ = writeln!(
            md,
            "| Chain with the CLI, callback → API response, as it logs it (ms) | {} | {} (curl, kept-alive) | {} | ≤ 1.5× |",
            c.engine_ms.show(2),
            c.floor_ms.show(1),
            ratio(c.engine_ms.median(), c.floor_ms.median())
        );
        let _ = writeln!(
            md,
            "| … seen from outside: its callback line → its JSON report (ms) | {} | | {} | |",
            c.outside_ms.show(1),
            ratio(c.outside_ms.median(), c.floor_ms.median())
        );
        let _ = writeln!(
            md,
            "| … of which IAS + XSUAA + API steps, engine's `elapsed_ms` | {} | | | |",
            c.steps_ms.show(0)
        );
        if let Some(m) = r.startup.as_ref().and_then(|s| s.after_runs.as_ref()) {
            let _ = writeln!(
                md,
                "| Chain in the app window, warm (runs 2–{}), callback → run end (ms) | {} | {} (the same curl floor) | {} | ≤ 1.5× |",
                super::window_runs::LONG_RUNS,
                m.warm_chain_ms.show(1),
                c.floor_ms.show(1),
                ratio(m.warm_chain_ms.median(), c.floor_ms.median())
            );
            let _ = writeln!(
                md,
                "| … against curl after the same {} ms sign-in pause | | {} | {} | |",
                super::window_runs::SIGN_IN.as_millis(),
                c.floor_after_pause_ms.show(1),
                ratio(m.warm_chain_ms.median(), c.floor_after_pause_ms.median())
            );
        }
        let _ = writeln!(
            md,
            "| Silent re-run with the CLI (cached sign-in), run start → API response, as it logs it (ms) | {} | {} (curl: 4 requests; the run makes 5) | {} | |",
            c.silent_ms.show(2),
            c.floor_ms.show(1),
            ratio(c.silent_ms.median(), c.floor_ms.median())
        );
        let _ = writeln!(
            md,
            "| … the whole silent `run` process, spawn → exit (ms) | {} | | | |",
            c.silent_whole_ms.show(0)
        );
        let _ = writeln!(
            md,
            "| Whole `run` incl. sign-in, headless Chromium (ms) | {} | | | |",
            c.whole_chromium_ms.show(0)
        );
    }
    if let Some(m) = &r.matrix {
        let _ = writeln!(
            md,
            "| Matrix: {n} sandbox profiles in one `run --all --parallel {p}` against {n} sequential `run NAME` (ms, silent sign-ins) | {} | {} | {} | < 1× |",
            m.matrix_ms.show(0),
            m.sequential_ms.show(0),
            ratio(m.matrix_ms.median(), m.sequential_ms.median()),
            n = m.profiles,
            p = m.parallel,
        );
        let _ = writeln!(
            md,
            "| … against `run --all --parallel 1` (one process, one run at a time) | | {} | {} | |",
            m.one_at_a_time_ms.show(0),
            ratio(m.matrix_ms.median(), m.one_at_a_time_ms.median()),
        );
    }
    if let Some(st) = &r.store {
        for size in SIZES {
            let cell = |op: &str| {
                st.get(size, op).map_or("n/a".into(), |row| {
                    format!("{:.2} ({:.1} µs/profile)", row.median_us / 1000.0, row.median_us / size as f64)
                })
            };
            let target = if size == 1_000 { "< 50 ms" } else { "linear" };
            let _ = writeln!(
                md,
                "| Profile store, {size} profiles: list cold / list warm / search (ms) | {} / {} / {} | | | {target} |",
                cell("list_cold"),
                cell("list_warm"),
                cell("search_hit")
            );
        }
    }
    if let Some(sz) = &r.size {
        let _ = writeln!(
            md,
            "| Release binary, stripped (MiB) | {:.1} | {:.1} | {} | |",
            sz.app_bytes as f64 / MIB,
            sz.floor_bytes as f64 / MIB,
            ratio(sz.app_bytes as f64, sz.floor_bytes as f64)
        );
        let deb = sz.deb_bytes.map_or_else(
            || format!("n/a: {}", sz.deb_note.clone().unwrap_or_default()),
            |b| format!("{:.1}", b as f64 / MIB),
        );
        let _ = writeln!(md, "| `.deb` (MiB) | {deb} | | | |");
    }
    for (what, why) in &r.skipped {
        let _ = writeln!(md, "| {what} | not measured: {} | | | |", why.lines().next().unwrap_or_default());
    }
    if let Some(s) = &r.startup {
        let _ = writeln!(
            md,
            "\nPSS by process (last run) — TokenHop: {}; floor: {}; floor with TokenHop's WebKit settings: {}.",
            s.app.breakdown, s.floor.breakdown, s.floor_webkit.breakdown
        );
        let _ = writeln!(
            md,
            "Window mapped (ms from spawn): TokenHop {}, floor {}, floor with TokenHop's WebKit settings {}.",
            s.app.mapped_ms.show(0),
            s.floor.mapped_ms.show(0),
            s.floor_webkit.mapped_ms.show(0)
        );
        if let Some(m) = &s.after_runs {
            let _ = writeln!(
                md,
                "PSS by process over the window runs — after run 1: {}; after run {}: {}; after run {}: {}.",
                m.breakdown[1],
                m.runs,
                m.breakdown[2],
                super::window_runs::LONG_RUNS,
                m.breakdown[3]
            );
        }
        let _ = writeln!(
            md,
            "Time to ready as the processes see it (from `main`): TokenHop {} ms (setup at {} ms, page load began at {} ms), floor {} ms (setup at {} ms, page load began at {} ms).",
            s.app.self_ms.show(0),
            s.app.setup_ms.show(0),
            s.app.page_load_ms.show(0),
            s.floor.self_ms.show(0),
            s.floor.setup_ms.show(0),
            s.floor.page_load_ms.show(0)
        );
    }
    if let Some(c) = &r.chain {
        let _ = writeln!(md, "Curl floor, last run: {}.", c.floor_detail);
    }
    md
}

pub fn json(r: &Results, runs: usize) -> Value {
    let side = |s: &super::startup::Side| json!({ "first_paint_ms": s.paint_ms.to_json(), "mapped_ms": s.mapped_ms.to_json(), "start_ms": s.start_ms.to_json(), "self_ms": s.self_ms.to_json(), "setup_ms": s.setup_ms.to_json(), "page_load_ms": s.page_load_ms.to_json(), "idle_pss_mib": s.idle_mib.to_json(), "pss_by_process": s.breakdown });
    let startup = r.startup.as_ref().map(|s| {
        json!({
            "app": side(&s.app),
            "floor": side(&s.floor),
            "floor_app_webkit_settings": side(&s.floor_webkit),
            "display": s.display,
            "after_runs": s.after_runs.as_ref().map(|m| json!({ "runs": m.runs, "idle_mib": m.idle_mib, "after_first_mib": m.after_first_mib, "after_last_mib": m.after_last_mib, "after_long_mib": m.after_long_mib, "breakdown": m.breakdown, "warm_chain_ms": m.warm_chain_ms.to_json() })),
        })
    });
    let chain = r.chain.as_ref().map(|c| {
        json!({
            "cli_callback_to_report_ms": c.engine_ms.to_json(),
            "cli_callback_line_to_stdout_ms": c.outside_ms.to_json(),
            "engine_steps_ias_xsuaa_api_ms": c.steps_ms.to_json(),
            "curl_floor_ms": c.floor_ms.to_json(),
            "curl_floor_after_pause_ms": c.floor_after_pause_ms.to_json(),
            "whole_run_chromium_ms": c.whole_chromium_ms.to_json(),
            "cli_silent_rerun_ms": c.silent_ms.to_json(),
            "cli_silent_rerun_process_ms": c.silent_whole_ms.to_json(),
            "curl_floor_last": c.floor_detail,
        })
    });
    let matrix = r.matrix.as_ref().map(|m| {
        json!({
            "profiles": m.profiles,
            "parallel": m.parallel,
            "matrix_ms": m.matrix_ms.to_json(),
            "sequential_runs_ms": m.sequential_ms.to_json(),
            "one_process_one_at_a_time_ms": m.one_at_a_time_ms.to_json(),
        })
    });
    let store = r.store.as_ref().map(|st| {
        st.rows
            .iter()
            .map(|row| json!({ "profiles": row.size, "op": row.op, "median_us": row.median_us, "min_us": row.min_us, "max_us": row.max_us }))
            .collect::<Vec<_>>()
    });
    let size = r.size.as_ref().map(|sz| {
        json!({ "app_stripped_bytes": sz.app_bytes, "floor_stripped_bytes": sz.floor_bytes, "deb_bytes": sz.deb_bytes, "deb_note": sz.deb_note })
    });
    json!({
        "machine": r.machine.to_json(),
        "runs": runs,
        "startup": startup,
        "chain": chain,
        "matrix": matrix,
        "profile_store": store,
        "size": size,
        "skipped": r.skipped.iter().map(|(w, why)| json!({ "what": w, "why": why })).collect::<Vec<_>>(),
    })
}
