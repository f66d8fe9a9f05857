//! The library half of the `corridor` package: what the binary's commands share with the
//! end-to-end benchmarks (`crates/corridor-bench`), which generate the same demo region into
//! their scratch databases as `corridor generate` does. The commands themselves are in
//! `main.rs`.

pub mod region;
mod region_beamtime;

use corridor_demo::DemoScale;

/// The size of the generated demo region, as `--scale` takes it: `full` is the demo region,
/// `small` is for tests that start many servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    Full,
    Small,
}

impl Scale {
    pub fn demo_scale(self) -> DemoScale {
        match self {
            Scale::Full => DemoScale::full(),
            Scale::Small => DemoScale::small(),
        }
    }
}
