//! Seeded random corruption of every fixture disk (scripts/fixtures/build: real
//! Debian 12 kernels, initrds, grub-mkconfig output, mke2fs filesystems, sfdisk and
//! sgdisk tables). Whatever bytes are flipped, the whole decision (volumes, filesystems,
//! config, selection) and the reads of the chosen files must end in an answer or in a
//! clean error: never a panic, never a hang.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::Image;
use xlboot_boot::decide;
use xlboot_boot::{Decider, Guest};
use xlboot_disk::BlockDevice;

/// A small deterministic generator (xorshift64*), so failures reproduce from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn fixture_images() -> Vec<PathBuf> {
    let dir = common::fixtures();
    let mut images: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "img"))
        // Bootable images only: those with an expectation (lvm-kinds-*.img are not),
        // from one disk (a `disks=` line names the others a filesystem spans, which
        // this test, one device at a time, does not open).
        .filter(|p| {
            std::fs::read_to_string(p.with_extension("expect"))
                .is_ok_and(|e| !e.lines().any(|l| l.starts_with("disks=")))
        })
        .collect();
    images.sort();
    images
}

/// Runs the whole decision on a device and reads the chosen files (capped), returning
/// the error message if it fails.
fn decide_and_read(dev: &dyn BlockDevice) -> Result<(), String> {
    let guest = Guest::open(dev, None).map_err(|e| e.to_string())?;
    let mut decider = Decider::new(&guest);
    let found = decider.find_config().map_err(|e| e.to_string())?;
    let menu = decider.evaluate(&found).map_err(|e| e.to_string())?;
    let _ = menu.flatten();
    let choice = decide::choose(&menu, None).map_err(|e| e.to_string())?;
    for file in std::iter::once(&choice.spec.kernel).chain(&choice.spec.initrds) {
        let f = guest.find(file).map_err(|e| e.to_string())?;
        xlboot_boot::guest::read_whole(&f, 64 << 20).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[test]
fn random_corruption_ends_in_an_answer_or_a_clean_error() {
    let rounds: u64 = std::env::var("XLBOOT_CORRUPTION_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(40);
    let (mut answers, mut errors) = (0, 0);
    for image in fixture_images() {
        // The intact image must decide cleanly.
        let intact = Image::open(&image);
        let size = intact.size;
        decide_and_read(&intact).unwrap_or_else(|e| panic!("{}: {e}", image.display()));
        for seed in 1..=rounds {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ size);
            let mut patches = BTreeMap::new();
            let count = 1 + rng.next() % 64;
            for _ in 0..count {
                // Mostly the first 4 MiB (partition tables, superblocks, group
                // descriptors, inode tables, directories), sometimes anywhere.
                let span = if rng.next() % 4 == 0 {
                    size
                } else {
                    size.min(4 << 20)
                };
                let at = rng.next() % span;
                let x = (rng.next() % 255 + 1) as u8;
                patches.insert(at, x);
            }
            let dev = Image {
                file: intact.file.try_clone().unwrap(),
                size,
                patches,
            };
            match decide_and_read(&dev) {
                Ok(()) => answers += 1,
                Err(msg) => {
                    assert!(
                        !msg.is_empty() && !msg.contains('\n'),
                        "{} seed {seed}: {msg:?}",
                        image.display()
                    );
                    errors += 1;
                }
            }
        }
    }
    eprintln!("corruption: {answers} answers, {errors} clean errors");
    assert!(answers + errors > 0);
}
