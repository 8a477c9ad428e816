//! The machine the numbers were taken on: core count, CPU model, memory (from /proc), for the table header.

use serde_json::{json, Value};

#[derive(Debug, Default, Clone)]
pub struct Machine {
    pub cores: usize,
    pub model: String,
    pub memory_gib: f64,
    pub kernel: String,
}

impl Machine {
    pub fn detect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_else(|| "unknown CPU".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let kib: f64 = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned();
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            model,
            memory_gib: kib / 1024.0 / 1024.0,
            kernel,
        }
    }

    pub fn describe(&self) -> String {
        format!("{} cores ({}), {:.1} GiB RAM, Linux {}", self.cores, self.model, self.memory_gib, self.kernel)
    }

    pub fn to_json(&self) -> Value {
        json!({ "nproc": self.cores, "cpu": self.model, "memory_gib": self.memory_gib, "kernel": self.kernel })
    }
}
