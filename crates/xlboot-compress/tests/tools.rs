//! Round trips against the real compressors: data compressed by gzip, zstd, xz, lzma,
//! lz4 and lzop (and by zlib itself through Python) must come back byte for byte, and
//! every output cap, truncation and corruption must fail cleanly, never panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

use xlboot_compress::{decompress, Codec, DecompressErrorKind};

/// Whether `tool` runs; a missing tool skips the test, unless XLBOOT_REQUIRE_TOOLS is
/// set (as in CI, where a skip would hide a gap).
fn have(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        if std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_some() {
            panic!("{tool} is required (XLBOOT_REQUIRE_TOOLS is set)");
        }
        eprintln!("skipping: {tool} not installed (packages gzip, zstd, xz-utils, lz4, lzop)");
    }
    found
}

/// Runs `tool args` with `input` on stdin and returns stdout; fails on a non-zero exit.
fn filter(tool: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Test data like a kernel's: real x86-64 machine code (this test binary, so the BCJ
/// filter has calls to convert), then text, then zeros.
fn sample(len: usize) -> Vec<u8> {
    let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    let mut data: Vec<u8> = exe.into_iter().take(len / 2).collect();
    let text =
        b"menuentry 'Debian GNU/Linux' --class debian { linux /vmlinuz root=UUID=x ro quiet }\n";
    while data.len() < len * 7 / 8 {
        data.extend_from_slice(text);
    }
    data.resize(len, 0);
    data
}

/// Decodes and checks the result, then checks the cap: exactly the length is fine,
/// one byte less is TooLarge.
fn round_trip(codec: Codec, compressed: &[u8], want: &[u8]) {
    let got = decompress(codec, compressed, want.len()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        got == want,
        "{codec:?}: output differs ({} vs {} bytes)",
        got.len(),
        want.len()
    );
    if !want.is_empty() {
        let e = decompress(codec, compressed, want.len() - 1).unwrap_err();
        assert_eq!(e.kind, DecompressErrorKind::TooLarge, "{codec:?}: {e}");
        assert_eq!(e.codec, codec);
    }
    let e = decompress(codec, compressed, want.len() / 3).unwrap_err();
    assert_eq!(e.kind, DecompressErrorKind::TooLarge, "{codec:?}: {e}");
}

/// Every prefix (sampled) fails cleanly; `strict` codecs must fail, not return data.
fn truncations(codec: Codec, compressed: &[u8], want_len: usize, strict: bool) {
    let step = (compressed.len() / 97).max(1);
    for cut in (0..compressed.len())
        .step_by(step)
        .chain([compressed.len().saturating_sub(1)])
    {
        let r = decompress(codec, &compressed[..cut], want_len);
        if strict {
            assert!(
                r.is_err(),
                "{codec:?} cut at {cut}/{} decoded",
                compressed.len()
            );
        }
    }
}

/// Seeded random byte changes never panic; codecs with a checksum over the data
/// return either an error or the right bytes.
fn corruptions(codec: Codec, compressed: &[u8], want: &[u8], checked: bool) {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ compressed.len() as u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..150 {
        let mut bad = compressed.to_vec();
        for _ in 0..1 + next() % 4 {
            let at = (next() % bad.len() as u64) as usize;
            bad[at] ^= 1 << (next() % 8);
        }
        match decompress(codec, &bad, want.len() * 2) {
            Ok(out) if checked => assert!(out == want, "{codec:?}: corruption went unnoticed"),
            _ => {}
        }
    }
}

#[test]
fn gzip_members_levels_and_header_fields() {
    if !have("gzip") {
        return;
    }
    let data = sample(1 << 20);
    for level in ["-1", "-9"] {
        let gz = filter("gzip", &["-c", "-n", level], &data);
        round_trip(Codec::Gzip, &gz, &data);
        // The deflate body alone: gzip -n writes a 10-byte header and 8-byte trailer.
        round_trip(Codec::Deflate, &gz[10..gz.len() - 8], &data);
    }
    // A file name in the header (gzip stores it when reading a named file).
    let dir = std::env::temp_dir().join(format!("xlboot-compress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let named = dir.join("vmlinuz-6.1.0-amd64");
    std::fs::write(&named, &data).unwrap();
    let st = Command::new("gzip")
        .arg("-kf")
        .arg(&named)
        .status()
        .unwrap();
    assert!(st.success());
    let gz = std::fs::read(dir.join("vmlinuz-6.1.0-amd64.gz")).unwrap();
    assert_ne!(gz[3] & 0x08, 0, "FNAME set");
    round_trip(Codec::Gzip, &gz, &data);
    std::fs::remove_dir_all(&dir).unwrap();
    // Two members decode as one stream; trailing bytes (Linux's appended size) are
    // ignored.
    let (a, b) = data.split_at(300_000);
    let mut two = filter("gzip", &["-c", "-n"], a);
    two.extend(filter("gzip", &["-c", "-n"], b));
    round_trip(Codec::Gzip, &two, &data);
    two.extend_from_slice(&(data.len() as u32).to_le_bytes());
    assert_eq!(decompress(Codec::Gzip, &two, data.len()).unwrap(), data);

    let small = sample(50_000);
    let gz = filter("gzip", &["-c", "-n"], &small);
    truncations(Codec::Gzip, &gz, small.len(), true);
    corruptions(Codec::Gzip, &gz, &small, true);
    truncations(Codec::Deflate, &gz[10..gz.len() - 8], small.len(), true);
    corruptions(Codec::Deflate, &gz[10..gz.len() - 8], &small, false);
}

#[test]
fn zlib_from_the_zlib_library() {
    if !have("python3") {
        return;
    }
    let data = sample(1 << 20);
    for level in ["1", "9"] {
        let script = format!(
            "import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read(), {level}))"
        );
        let z = filter("python3", &["-c", &script], &data);
        round_trip(Codec::Zlib, &z, &data);
        // btrfs pads a compressed extent to its sector: padding after the stream.
        let mut padded = z.clone();
        padded.resize(z.len().next_multiple_of(4096), 0);
        assert_eq!(decompress(Codec::Zlib, &padded, data.len()).unwrap(), data);
    }
    let small = sample(50_000);
    let z = filter(
        "python3",
        &[
            "-c",
            "import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))",
        ],
        &small,
    );
    truncations(Codec::Zlib, &z, small.len(), true);
    corruptions(Codec::Zlib, &z, &small, true);
}

#[test]
fn zstd_levels_frames_and_checksums() {
    if !have("zstd") {
        return;
    }
    let data = sample(1 << 20);
    for args in [
        &["-c", "-3"][..],
        &["-c", "-19", "--check"],
        &["-c", "--ultra", "-22"],
    ] {
        let z = filter("zstd", args, &data);
        round_trip(Codec::Zstd, &z, &data);
    }
    // Two frames, and a skippable frame between them.
    let (a, b) = data.split_at(400_000);
    let mut two = filter("zstd", &["-c"], a);
    two.extend_from_slice(&0x184D_2A53u32.to_le_bytes());
    two.extend_from_slice(&5u32.to_le_bytes());
    two.extend_from_slice(b"skip!");
    two.extend(filter("zstd", &["-c"], b));
    round_trip(Codec::Zstd, &two, &data);
    // Sector padding after the frame.
    let mut padded = filter("zstd", &["-c"], &data);
    padded.resize(padded.len().next_multiple_of(4096), 0);
    assert_eq!(decompress(Codec::Zstd, &padded, data.len()).unwrap(), data);

    let small = sample(50_000);
    let z = filter("zstd", &["-c", "--check"], &small);
    truncations(Codec::Zstd, &z, small.len(), true);
    corruptions(Codec::Zstd, &z, &small, true);
}

#[test]
fn xz_as_linux_compresses_kernels() {
    if !have("xz") {
        return;
    }
    let data = sample(1 << 20);
    // scripts/xz_wrap.sh in Linux: x86 BCJ, CRC-32, a 32 MiB dictionary.
    let kernel_args = ["-c", "--check=crc32", "--x86", "--lzma2=dict=32MiB"];
    for args in [&kernel_args[..], &["-c"], &["-c", "-9e", "--check=none"]] {
        let x = filter("xz", args, &data);
        round_trip(Codec::Xz, &x, &data);
    }
    // Linux appends the decompressed size after the stream.
    let mut x = filter("xz", &kernel_args, &data);
    x.extend_from_slice(&(data.len() as u32).to_le_bytes());
    assert_eq!(decompress(Codec::Xz, &x, data.len()).unwrap(), data);

    let sha = filter("xz", &["-c", "--check=sha256"], &data[..1000]);
    let e = decompress(Codec::Xz, &sha, 1000).unwrap_err();
    assert_eq!(e.kind, DecompressErrorKind::Unsupported, "{e}");
    let big_dict = filter("xz", &["-c", "--lzma2=dict=128MiB"], &data[..1000]);
    let e = decompress(Codec::Xz, &big_dict, 1000).unwrap_err();
    assert_eq!(e.kind, DecompressErrorKind::Unsupported, "{e}");

    let small = sample(50_000);
    let x = filter("xz", &kernel_args, &small);
    truncations(Codec::Xz, &x, small.len(), true);
    corruptions(Codec::Xz, &x, &small, true);
}

#[test]
fn lzma_alone() {
    if !have("lzma") {
        return;
    }
    let data = sample(1 << 20);
    for level in ["-1", "-9"] {
        let l = filter("lzma", &["-c", level], &data);
        round_trip(Codec::Lzma, &l, &data);
    }
    let big_dict = filter("lzma", &["-c", "--lzma1=dict=128MiB"], &data[..1000]);
    let e = decompress(Codec::Lzma, &big_dict, 1000).unwrap_err();
    assert_eq!(e.kind, DecompressErrorKind::Unsupported, "{e}");
    let small = sample(50_000);
    let l = filter("lzma", &["-c"], &small);
    truncations(Codec::Lzma, &l, small.len(), true);
    corruptions(Codec::Lzma, &l, &small, false);
}

/// The blocks of an `lz4 -l` (legacy frame) file: magic, then (u32 LE size, block)*.
fn lz4_legacy_blocks(file: &[u8]) -> Vec<&[u8]> {
    assert_eq!(file[..4], 0x184C_2102u32.to_le_bytes());
    let mut blocks = Vec::new();
    let mut pos = 4;
    while pos + 4 <= file.len() {
        let n = u32::from_le_bytes(file[pos..pos + 4].try_into().unwrap()) as usize;
        blocks.push(&file[pos + 4..pos + 4 + n]);
        pos += 4 + n;
    }
    blocks
}

#[test]
fn lz4_blocks_from_the_lz4_tool() {
    if !have("lz4") {
        return;
    }
    // Legacy frames cut input into 8 MiB blocks; 10 MiB gives a full and a short one.
    let data = sample(10 << 20);
    for level in ["-1", "-9"] {
        let file = filter("lz4", &["-c", "-l", level], &data);
        let blocks = lz4_legacy_blocks(&file);
        assert_eq!(blocks.len(), 2);
        let mut got = Vec::new();
        for (i, block) in blocks.iter().enumerate() {
            let want = &data[i * (8 << 20)..((i + 1) * (8 << 20)).min(data.len())];
            round_trip(Codec::Lz4Block, block, want);
            got.extend(decompress(Codec::Lz4Block, block, 8 << 20).unwrap());
        }
        assert!(got == data);
    }
    let small = sample(50_000);
    let file = filter("lz4", &["-c", "-l"], &small);
    let block = lz4_legacy_blocks(&file)[0];
    truncations(Codec::Lz4Block, block, small.len(), false);
    corruptions(Codec::Lz4Block, block, &small, false);
}

#[test]
fn lz4_block_from_lz4_flex() {
    let data = sample(300_000);
    let block = lz4_flex::compress(&data);
    round_trip(Codec::Lz4Block, &block, &data);
}

/// The compressed lzo1x blocks of an lzop file, with their decompressed lengths
/// (stored blocks, where lzop kept the data as is, are left out).
fn lzop_blocks(file: &[u8]) -> Vec<(usize, &[u8])> {
    let be32 = |p: usize| u32::from_be_bytes(file[p..p + 4].try_into().unwrap()) as usize;
    assert_eq!(&file[..9], b"\x89LZO\x00\r\n\x1a\n");
    let version = u16::from_be_bytes([file[9], file[10]]);
    let mut pos = 9 + 2 + 2; // version, library version
    if version >= 0x0940 {
        pos += 2; // version needed
    }
    let method = file[pos];
    assert!((1..=3).contains(&method), "lzo1x method");
    pos += 1;
    if version >= 0x0940 {
        pos += 1; // level
    }
    let flags = be32(pos);
    pos += 4;
    if flags & 0x800 != 0 {
        pos += 4; // filter
    }
    pos += 4 + 4; // mode, mtime
    if version >= 0x0940 {
        pos += 4; // mtime high
    }
    pos += 1 + file[pos] as usize; // name
    pos += 4; // header checksum
    if flags & 0x40 != 0 {
        pos += 4 + be32(pos); // extra field
    }
    let mut blocks = Vec::new();
    loop {
        let dst_len = be32(pos);
        pos += 4;
        if dst_len == 0 {
            return blocks;
        }
        let src_len = be32(pos);
        pos += 4;
        pos += 4 * usize::from(flags & 0x1 != 0) + 4 * usize::from(flags & 0x100 != 0);
        if src_len < dst_len {
            pos += 4 * usize::from(flags & 0x2 != 0) + 4 * usize::from(flags & 0x200 != 0);
            blocks.push((dst_len, &file[pos..pos + src_len]));
        }
        pos += src_len;
    }
}

#[test]
fn lzo1x_blocks_from_lzop() {
    if !have("lzop") {
        return;
    }
    let data = sample(1 << 20);
    // -1 and -3 use lzo1x_1, -7..-9 lzo1x_999 (the kernel's and squashfs' choice).
    for level in ["-1", "-3", "-7", "-9"] {
        let file = filter("lzop", &["-c", level], &data);
        let blocks = lzop_blocks(&file);
        // lzop cuts input into 256 KiB blocks.
        assert_eq!(blocks.len(), 4, "level {level}");
        for (i, (len, block)) in blocks.iter().enumerate() {
            let want = &data[i * (256 << 10)..][..*len];
            round_trip(Codec::Lzo1x, block, want);
        }
    }
    let small = sample(50_000);
    let file = filter("lzop", &["-c", "-9"], &small);
    let (_, block) = lzop_blocks(&file)[0];
    truncations(Codec::Lzo1x, block, small.len(), true);
    corruptions(Codec::Lzo1x, block, &small, false);
}

#[test]
fn empty_and_junk_inputs_fail_cleanly() {
    for codec in Codec::ALL {
        for input in [&[][..], &[0], &[0xff; 64], b"not compressed at all"] {
            if let Ok(out) = decompress(codec, input, 1 << 20) {
                // Raw formats without a header can decode junk; the result is still
                // capped.
                assert!(
                    matches!(codec, Codec::Lz4Block | Codec::Deflate | Codec::Lzo1x),
                    "{codec:?} decoded junk {input:?}"
                );
                assert!(out.len() <= 1 << 20);
            }
        }
    }
}

/// Seeded pseudo-random bytes (xorshift): data no compressor can shrink.
fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut s = seed | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 32) as u8
        })
        .collect()
}

#[test]
fn bzip2_levels_and_data_shapes() {
    if !have("bzip2") {
        return;
    }
    // Runs of every length around bzip2's first run-length step (4 equal bytes and a
    // count, at most 255 more), so both run codings and their limits are crossed.
    let mut runs = Vec::new();
    for n in 1..600usize {
        runs.extend(std::iter::repeat_n((n % 7) as u8, n));
    }
    let inputs: [(&str, Vec<u8>); 8] = [
        ("empty", Vec::new()),
        ("one byte", b"x".to_vec()),
        ("random", random(1_500_000, 7)),
        ("zeros", vec![0; 3 << 20]),
        ("runs", runs),
        ("sample", sample(2 << 20)),
        (
            "text",
            b"menuentry 'Debian GNU/Linux' { linux /vmlinuz root=/dev/xvda1 }\n".repeat(40_000),
        ),
        (
            "all byte values",
            (0..=255u8).cycle().take(700_000).collect(),
        ),
    ];
    for (what, data) in &inputs {
        for level in ["-1", "-9"] {
            let bz = filter("bzip2", &["-c", level], data);
            let got = decompress(Codec::Bzip2, &bz, data.len())
                .unwrap_or_else(|e| panic!("{what} {level}: {e}"));
            assert!(got == *data, "{what} {level}: output differs");
        }
    }
    // Every level, with the output cap checked exactly.
    let data = sample(1 << 20);
    for level in 1..=9 {
        let bz = filter("bzip2", &["-c", &format!("-{level}")], &data);
        round_trip(Codec::Bzip2, &bz, &data);
    }
}

#[test]
fn bzip2_streams_trailers_and_damage() {
    if !have("bzip2") {
        return;
    }
    let data = sample(1 << 20);
    // Concatenated streams (as `cat a.bz2 b.bz2` and parallel compressors make them)
    // decode as one, like `bzip2 -d`; so does an empty stream among them.
    let (a, b) = data.split_at(300_000);
    let mut many = filter("bzip2", &["-c", "-9"], a);
    many.extend(filter("bzip2", &["-c"], b""));
    many.extend(filter("bzip2", &["-c", "-2"], b));
    round_trip(Codec::Bzip2, &many, &data);
    assert_eq!(filter("bzip2", &["-dc"], &many), data);
    // Bytes after the last stream that do not start another: ignored, as bzip2 does
    // ("trailing garbage after EOF ignored"), e.g. Linux's appended size.
    let mut trailed = many.clone();
    trailed.extend_from_slice(&(data.len() as u32).to_le_bytes());
    assert_eq!(
        decompress(Codec::Bzip2, &trailed, data.len()).unwrap(),
        data
    );
    // A stream header after the last stream must be a whole valid stream.
    let mut bad_next = many.clone();
    bad_next.extend_from_slice(b"BZh9junk");
    assert_eq!(
        decompress(Codec::Bzip2, &bad_next, data.len())
            .unwrap_err()
            .kind,
        DecompressErrorKind::Corrupt
    );

    // A -9 block relabelled as level 1: larger than its stream's block size.
    let rnd = random(250_000, 3);
    let mut relabelled = filter("bzip2", &["-c", "-9"], &rnd);
    relabelled[3] = b'1';
    let e = decompress(Codec::Bzip2, &relabelled, 1 << 20).unwrap_err();
    assert_eq!(e.kind, DecompressErrorKind::Corrupt, "{e}");
    // The stream CRC alone changed (the last 4 bytes before padding hold its low bits).
    let small = sample(50_000);
    let bz = filter("bzip2", &["-c"], &small);
    let mut crc = bz.clone();
    let n = crc.len();
    crc[n - 2] ^= 0x10;
    let e = decompress(Codec::Bzip2, &crc, small.len()).unwrap_err();
    assert_eq!(e.detail, "stream CRC mismatch", "{e}");
    // The randomised bit (after the block magic and CRC): bzip2 0.9.0 and older set
    // it; like Linux, we do not decode such blocks, and say so.
    let mut randomised = bz.clone();
    randomised[4 + 6 + 4] |= 0x80;
    let e = decompress(Codec::Bzip2, &randomised, small.len()).unwrap_err();
    assert_eq!(e.kind, DecompressErrorKind::Unsupported, "{e}");
    truncations(Codec::Bzip2, &bz, small.len(), true);
    corruptions(Codec::Bzip2, &bz, &small, true);
    let runs = filter("bzip2", &["-c"], &[[7u8; 1000], [9u8; 1000]].concat());
    corruptions(
        Codec::Bzip2,
        &runs,
        &[[7u8; 1000], [9u8; 1000]].concat(),
        true,
    );
}

#[test]
fn bzip2_many_generated_inputs() {
    if !have("bzip2") {
        return;
    }
    // Seeded mixes of runs, text, noise and repeats of earlier bytes, in sizes around
    // block and run-length boundaries, each at a level from 1 to 9: bzip2 compresses,
    // we decode, the bytes must match.
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    for case in 0..40u64 {
        let len = match case % 5 {
            0 => (next() % 64) as usize,
            1 => 99_990 + (next() % 20) as usize,
            2 => (next() % 300_000) as usize,
            _ => (next() % 40_000) as usize,
        };
        let mut data = Vec::with_capacity(len);
        while data.len() < len {
            let n = 1 + (next() % 600) as usize;
            match next() % 4 {
                0 => data.extend(std::iter::repeat_n(next() as u8, n)),
                1 => data
                    .extend_from_slice(&b"root=/dev/xvda1 ro quiet console=hvc0 "[..(n % 38) + 1]),
                2 => data.extend((0..n).map(|_| next() as u8)),
                _ if data.len() > n => {
                    let from = (next() as usize) % (data.len() - n);
                    data.extend_from_within(from..from + n);
                }
                _ => data.push(next() as u8),
            }
        }
        data.truncate(len);
        let level = format!("-{}", 1 + case % 9);
        let bz = filter("bzip2", &["-c", &level], &data);
        let got = decompress(Codec::Bzip2, &bz, data.len())
            .unwrap_or_else(|e| panic!("case {case}: {e}"));
        assert!(
            got == data,
            "case {case} ({len} bytes, {level}): output differs"
        );
    }
}
