//! qcow2 images made by the real `qemu-img` and `qemu-io` (versions 2 and 3,
//! extended L2 entries, zero and unallocated clusters, backing chains made with `-F`
//! and `qemu-img rebase`), read through xlboot's qcow2 layer. The oracle is QEMU
//! itself: what xlboot reads is written to a raw file and `qemu-img compare` must
//! find it identical to the guest view of the qcow2 chain.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::FileDev;
use xlboot_disk::qcow2::{Compression, Qcow2};
use xlboot_disk::{BlockDevice, IoError};

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(tag: &str) -> Dir {
    let d = std::env::temp_dir().join(format!("xlboot-qcow2-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Dir(d)
}

fn tool(args: &[&str]) {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A 4 MiB raw disk with data, holes and zeros in a known pattern: every other
/// 64 KiB stretch filled with its own byte, a few odd-sized pieces, the rest sparse.
fn raw_source(dir: &Path) -> PathBuf {
    let p = dir.join("src.raw");
    let mut data = vec![0u8; 4 << 20];
    for (i, chunk) in data.chunks_mut(64 << 10).enumerate() {
        if i % 2 == 0 {
            for (j, b) in chunk.iter_mut().enumerate() {
                *b = (i as u8).wrapping_mul(31).wrapping_add((j % 251) as u8);
            }
        }
    }
    data[(3 << 20) + 100..(3 << 20) + 7000].fill(0xEE);
    std::fs::write(&p, &data).unwrap();
    p
}

/// Everything `dev` reads, written to a raw file.
fn dump<D: BlockDevice>(dev: &D, out: &Path) {
    let mut data = vec![0u8; dev.size() as usize];
    // Odd-sized reads that cross cluster and subcluster boundaries.
    let mut off = 0usize;
    while off < data.len() {
        let n = (data.len() - off).min(12_345);
        dev.read_exact_at(off as u64, &mut data[off..off + n])
            .unwrap();
        off += n;
    }
    std::fs::write(out, &data).unwrap();
}

/// `qemu-img compare` of xlboot's raw dump with the qcow2 image (and its chain).
fn compare_with_qemu(ours: &Path, image: &Path) {
    tool(&[
        "qemu-img",
        "compare",
        "-q",
        "-f",
        "raw",
        "-F",
        "qcow2",
        s(ours),
        s(image),
    ]);
}

fn have_qemu() -> bool {
    common::have("qemu-img")
}

#[test]
fn versions_and_cluster_layouts() {
    if !have_qemu() {
        return;
    }
    let d = scratch("layouts");
    let src = raw_source(&d.0);
    for (name, opts) in [
        ("v2", "compat=0.10"),
        ("v3", "compat=1.1"),
        ("small", "compat=1.1,cluster_size=4096"),
        ("big", "compat=1.1,cluster_size=2M"),
        ("ext", "compat=1.1,extended_l2=on,cluster_size=128k"),
    ] {
        let img = d.0.join(format!("{name}.qcow2"));
        tool(&[
            "qemu-img",
            "convert",
            "-f",
            "raw",
            "-O",
            "qcow2",
            "-o",
            opts,
            s(&src),
            s(&img),
        ]);
        let q = Qcow2::open(FileDev::open(&img), None, None).unwrap();
        assert_eq!(q.size(), 4 << 20, "{name}");
        assert_eq!(
            q.header().version,
            if name == "v2" { 2 } else { 3 },
            "{name}"
        );
        assert_eq!(q.header().extended_l2, name == "ext", "{name}");
        let ours = d.0.join(format!("{name}.ours"));
        dump(&q, &ours);
        compare_with_qemu(&ours, &img);
        assert_eq!(
            std::fs::read(&ours).unwrap(),
            std::fs::read(&src).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn zero_clusters_subclusters_and_backing_chains() {
    if !have_qemu() || !common::have("qemu-io") {
        return;
    }
    let d = scratch("chain");
    let src = raw_source(&d.0);
    let base = d.0.join("base.qcow2");
    tool(&[
        "qemu-img",
        "convert",
        "-f",
        "raw",
        "-O",
        "qcow2",
        s(&src),
        s(&base),
    ]);
    // mid: extended L2 over base; writes that cover parts of clusters (subclusters),
    // zeros over data (zero bits), data over holes.
    let mid = d.0.join("mid.qcow2");
    tool(&[
        "qemu-img",
        "create",
        "-q",
        "-f",
        "qcow2",
        "-o",
        "extended_l2=on,cluster_size=64k",
        "-b",
        s(&base),
        "-F",
        "qcow2",
        s(&mid),
    ]);
    tool(&[
        "qemu-io",
        "-f",
        "qcow2",
        "-c",
        "write -P 0x5a 70000 9000",
        "-c",
        "write -z 0 4096",
        "-c",
        "write -z 131072 65536",
        "-c",
        "write -P 0x11 3m 2048",
        s(&mid),
    ]);
    // top: standard v3 entries over mid; a zero cluster over data, a whole new cluster.
    let top = d.0.join("top.qcow2");
    tool(&[
        "qemu-img",
        "create",
        "-q",
        "-f",
        "qcow2",
        "-b",
        s(&mid),
        "-F",
        "qcow2",
        s(&top),
    ]);
    tool(&[
        "qemu-io",
        "-f",
        "qcow2",
        "-c",
        "write -z 262144 65536",
        "-c",
        "write -P 0x77 524288 65536",
        "-c",
        "write -P 0x33 1000 10",
        s(&top),
    ]);

    let open_chain = |top: &Path, mid: &Path, base: &Path| {
        let b = Qcow2::open(FileDev::open(base), None, None).unwrap();
        let m = Qcow2::open(FileDev::open(mid), Some(Box::new(b)), None).unwrap();
        Qcow2::open(FileDev::open(top), Some(Box::new(m)), None).unwrap()
    };
    let q = open_chain(&top, &mid, &base);
    assert_eq!(q.header().backing_file.as_deref(), Some(s(&mid)));
    assert_eq!(q.header().backing_format.as_deref(), Some("qcow2"));
    let ours = d.0.join("top.ours");
    dump(&q, &ours);
    compare_with_qemu(&ours, &top);

    // qemu-img rebase onto a copy of base with other data: the chain now reads
    // differently where mid and top have nothing, and QEMU agrees.
    let base2 = d.0.join("base2.qcow2");
    tool(&["qemu-img", "create", "-q", "-f", "qcow2", s(&base2), "4M"]);
    tool(&[
        "qemu-io",
        "-f",
        "qcow2",
        "-c",
        "write -P 0x99 0 4m",
        s(&base2),
    ]);
    tool(&[
        "qemu-img",
        "rebase",
        "-u",
        "-b",
        s(&base2),
        "-F",
        "qcow2",
        s(&mid),
    ]);
    let q = open_chain(&top, &mid, &base2);
    let ours2 = d.0.join("top2.ours");
    dump(&q, &ours2);
    compare_with_qemu(&ours2, &top);
    assert_ne!(
        std::fs::read(&ours).unwrap(),
        std::fs::read(&ours2).unwrap()
    );
}

fn decompress(c: Compression, input: &[u8], cluster: usize) -> Result<Vec<u8>, String> {
    let codec = match c {
        Compression::Deflate => xlboot_compress::Codec::Deflate,
        Compression::Zstd => xlboot_compress::Codec::Zstd,
    };
    xlboot_compress::decompress(codec, input, cluster).map_err(|e| e.to_string())
}

#[test]
fn compressed_clusters_zlib_and_zstd() {
    if !have_qemu() {
        return;
    }
    let d = scratch("compressed");
    let src = raw_source(&d.0);
    for (name, opts) in [
        ("zlib", "compression_type=zlib"),
        ("zstd", "compression_type=zstd"),
        ("zstd-small", "compression_type=zstd,cluster_size=4096"),
        ("zlib-ext", "compression_type=zlib,extended_l2=on"),
    ] {
        let img = d.0.join(format!("{name}.qcow2"));
        tool(&[
            "qemu-img",
            "convert",
            "-c",
            "-f",
            "raw",
            "-O",
            "qcow2",
            "-o",
            opts,
            s(&src),
            s(&img),
        ]);
        // Without a decompressor: a clear error, not wrong bytes.
        let q = Qcow2::open(FileDev::open(&img), None, None).unwrap();
        let want = if name.starts_with("zstd") {
            Compression::Zstd
        } else {
            Compression::Deflate
        };
        assert_eq!(q.header().compression, want);
        let mut buf = [0u8; 512];
        match q.read_exact_at(0, &mut buf) {
            Err(IoError::Image { what, .. }) => assert!(what.contains("decompressor"), "{what}"),
            other => panic!("{name}: {other:?}"),
        }
        let q = Qcow2::open(FileDev::open(&img), None, Some(decompress)).unwrap();
        let ours = d.0.join(format!("{name}.ours"));
        dump(&q, &ours);
        compare_with_qemu(&ours, &img);
        assert_eq!(
            std::fs::read(&ours).unwrap(),
            std::fs::read(&src).unwrap(),
            "{name}"
        );
    }
}
