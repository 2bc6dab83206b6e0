//! Instruction-count benchmarks of the parsers, for callgrind (`scripts/bench/callgrind`
//! runs them and compares with the recorded baselines). Timings on a shared machine
//! wander by tens of percent; the number of instructions a parse executes does not, so
//! a regression of a few percent shows.
//!
//! `parsers WORKLOAD IMAGE` does the workload once on a fixture image; only what runs
//! inside [`measured`] is counted (`valgrind --tool=callgrind --toggle-collect=*measured*`),
//! so opening the image and reading what a workload starts from are not. The image is
//! read as the binary reads it: positional reads through the block cache.
//!
//! Workloads:
//! - `decide`: what `xlboot -n` does in its sandbox: volumes, filesystems, config
//!   search, evaluation, choice, and looking up the kernel and initrds;
//! - `partitions`: the partition table alone (MBR with EBR chain, or GPT);
//! - `grub2-eval`: evaluating the guest's GRUB 2 config alone, read beforehand (with
//!   the guest for `search`, `load_env` and `[ -e ]`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::fs::File;
use std::hint::black_box;
use std::os::unix::fs::FileExt;

use xlboot_boot::config_search::ConfigKind;
use xlboot_boot::decide::{self, Decider};
use xlboot_boot::Guest;
use xlboot_config::ConfigHost;
use xlboot_disk::block_cache::BlockCache;
use xlboot_disk::{BlockDevice, IoError};

/// A disk image read with positional reads.
struct FileDev {
    file: File,
    size: u64,
}

impl BlockDevice for FileDev {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        xlboot_disk::block::check_range(offset, buf.len(), self.size)?;
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| IoError::Device {
                offset,
                len: buf.len() as u64,
                errno: e.raw_os_error(),
            })
    }
}

/// The code callgrind counts.
#[inline(never)]
fn measured<T>(f: impl FnOnce() -> T) -> T {
    black_box(f())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [workload, image] = args.as_slice() else {
        eprintln!("usage: parsers decide|partitions|grub2-eval IMAGE");
        std::process::exit(2);
    };
    let file = File::open(image).unwrap_or_else(|e| panic!("{image}: {e}"));
    let size = file.metadata().unwrap().len();
    let dev = BlockCache::new(FileDev { file, size });
    let disk: &dyn BlockDevice = &dev;
    match workload.as_str() {
        "decide" => {
            let answer = measured(|| {
                let guest = Guest::open_disks(&[disk], None).unwrap();
                let mut decider = Decider::new(&guest);
                let found = decider.find_config().unwrap();
                let menu = decider.evaluate(&found).unwrap();
                let choice = decide::choose(&menu, None).unwrap();
                for f in std::iter::once(&choice.spec.kernel).chain(&choice.spec.initrds) {
                    guest.find(f).unwrap();
                }
                choice.spec.args
            });
            println!("{answer}");
        }
        "partitions" => {
            let n = measured(|| xlboot_disk::scan(disk).unwrap().entries.len());
            println!("{n} volumes");
        }
        "grub2-eval" => {
            let guest = Guest::open_disks(&[disk], None).unwrap();
            let mut decider = Decider::new(&guest);
            let found = decider.find_config().unwrap();
            assert_eq!(found.kind, ConfigKind::Grub2, "not a GRUB 2 config");
            let text = guest
                .read_file(&found.file, xlboot_boot::guest::MAX_CONFIG_FILE)
                .unwrap()
                .expect("the config is there");
            let limits = decider.config_limits.clone();
            let menu = measured(|| {
                let mut notes = Vec::new();
                decide::evaluate_grub2(&text, found.file.clone(), &guest, &limits, &mut notes)
                    .unwrap()
            });
            println!("{} items", menu.items.len());
        }
        other => panic!("unknown workload {other}"),
    }
}
