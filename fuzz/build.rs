//! Refuses to build without the base images and seeds, which `fuzz/seeds/build` makes
//! with the real tools (they are not committed).

use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/out");
    let needed = [
        "STAMP",
        "meta.rs",
        "base/ext4-csum.img",
        "base/ext4-nocsum.img",
        "base/ext2-1k.img",
        "base/ext4-inline.img",
        "base/squashfs-gzip.sqfs",
        "base/squashfs-xz.sqfs",
        "base/squashfs-lz4.sqfs",
        "base/squashfs-zstd.sqfs",
        "base/squashfs-lzo.sqfs",
        "base/fat12.img",
        "base/fat16.img",
        "base/fat32.img",
        "base/iso-rr.img",
        "base/iso-joliet.img",
        "base/iso-plain.img",
        "base/xfs-v5.img",
        "base/xfs-v4.img",
        "base/disk-mbr.img",
        "base/grubenv",
    ];
    let missing: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|f| !dir.join(f).is_file())
        .collect();
    if !missing.is_empty() {
        panic!(
            "\n\nfuzz seeds are missing from {} ({}).\nBuild them first with the real tools:\n\n    fuzz/seeds/build\n\n(fuzz/run does this for you.)\n",
            dir.display(),
            missing.join(", ")
        );
    }
    for f in needed {
        println!("cargo:rerun-if-changed={}", dir.join(f).display());
    }
    println!("cargo:rerun-if-changed=build.rs");
}
