//! `--update-grubenv`, the parent's half: writing the environment blocks the sandboxed
//! child asked for, and nothing else.
//!
//! The child may be compromised by the disk it read, so what it sends is checked as if
//! hostile: each patch must replace a plain 1024-byte GRUB environment block with
//! another (so at worst a guest's own grubenv is rewritten within the guest's own
//! disk), and is written only where the disk still holds exactly the bytes the child
//! read there (compare, then write; all blocks compared before any is written). The
//! disk is opened for writing here, only for this, and checked to be the very file the
//! child read through. The writes are flushed (`fdatasync`) before the reply is sent.
//!
//! The offsets are byte offsets of the file or device as [`crate::image::DiskImage`]
//! reads it: raw. Whoever adds a disk format that maps guest offsets elsewhere (qcow2,
//! VHD, LVM) must make `--update-grubenv` refuse on it (or translate), or this would
//! write at the wrong place.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;

use xlboot_config::grubenv;

use crate::outcome::EnvPatch;

/// Writes `patches` to the disk at `image`, which `reader` (the descriptor the child
/// read) must be. Returns how many blocks were written; an error (nothing written)
/// says why not.
pub fn apply(image: &Path, reader: &File, patches: &[EnvPatch]) -> Result<usize, String> {
    for p in patches {
        if p.old.len() != grubenv::DEFAULT_SIZE || p.new.len() != grubenv::DEFAULT_SIZE {
            return Err(format!(
                "the block at byte {} is not {} bytes",
                p.offset,
                grubenv::DEFAULT_SIZE
            ));
        }
        for (what, b) in [("old", &p.old), ("new", &p.new)] {
            grubenv::check_plain(b)
                .map_err(|why| format!("the {what} block at byte {}: {why}", p.offset))?;
        }
    }
    let disk = OpenOptions::new()
        .read(true)
        .write(true)
        .open(image)
        .map_err(|e| format!("cannot open {} for writing: {e}", image.display()))?;
    let (a, b) = (
        disk.metadata().map_err(|e| e.to_string())?,
        reader.metadata().map_err(|e| e.to_string())?,
    );
    if (a.dev(), a.ino(), a.rdev()) != (b.dev(), b.ino(), b.rdev()) {
        return Err(format!(
            "{} is no longer the disk that was read",
            image.display()
        ));
    }
    let mut now = vec![0u8; grubenv::DEFAULT_SIZE];
    for p in patches {
        disk.read_exact_at(&mut now, p.offset)
            .map_err(|e| format!("cannot read the block at byte {}: {e}", p.offset))?;
        if now != p.old {
            return Err(format!(
                "the block at byte {} changed after it was read; not written",
                p.offset
            ));
        }
    }
    for p in patches {
        disk.write_all_at(&p.new, p.offset)
            .map_err(|e| format!("cannot write the block at byte {}: {e}", p.offset))?;
    }
    disk.sync_data()
        .map_err(|e| format!("cannot flush {}: {e}", image.display()))?;
    Ok(patches.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(var: &str) -> Vec<u8> {
        let mut b = grubenv::SIGNATURE.to_vec();
        b.extend_from_slice(var.as_bytes());
        b.push(b'\n');
        b.resize(grubenv::DEFAULT_SIZE, b'#');
        b
    }

    /// A 64 KiB "disk" with `content` at byte 4096.
    fn disk(tag: &str, content: &[u8]) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("xlboot-envw-{tag}-{}", std::process::id()));
        let mut d = vec![0xa5u8; 65536];
        d[4096..4096 + content.len()].copy_from_slice(content);
        std::fs::write(&p, d).unwrap();
        p
    }

    #[test]
    fn writes_only_where_the_old_block_still_is() {
        let (old, new) = (block("next_entry=2"), block("next_entry="));
        let p = disk("ok", &old);
        let reader = File::open(&p).unwrap();
        let patch = EnvPatch {
            offset: 4096,
            old: old.clone(),
            new: new.clone(),
        };
        assert_eq!(apply(&p, &reader, std::slice::from_ref(&patch)), Ok(1));
        let d = std::fs::read(&p).unwrap();
        assert_eq!(&d[4096..5120], &new[..]);
        assert!(d[..4096].iter().chain(&d[5120..]).all(|&b| b == 0xa5));
        // Applying it again: the disk no longer holds `old`, so nothing is written.
        let e = apply(&p, &reader, &[patch]).unwrap_err();
        assert!(e.contains("changed after it was read"), "{e}");
        assert_eq!(std::fs::read(&p).unwrap(), d);
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn hostile_patches_are_refused_before_opening() {
        let old = block("a=1");
        let p = disk("hostile", &old);
        let before = std::fs::read(&p).unwrap();
        let reader = File::open(&p).unwrap();
        let not_env = vec![0u8; 1024];
        for patch in [
            EnvPatch {
                offset: 4096,
                old: old.clone(),
                new: not_env.clone(),
            },
            EnvPatch {
                offset: 0,
                old: not_env,
                new: old.clone(),
            },
            EnvPatch {
                offset: 4096,
                old: old.clone(),
                new: old[..1000].to_vec(),
            },
        ] {
            assert!(apply(&p, &reader, &[patch]).is_err());
        }
        // A block compared as unchanged but a second one changed: nothing is written.
        let two = [
            EnvPatch {
                offset: 4096,
                old: old.clone(),
                new: block("a=2"),
            },
            EnvPatch {
                offset: 8192,
                old: old.clone(),
                new: block("a=2"),
            },
        ];
        assert!(apply(&p, &reader, &two).is_err());
        assert_eq!(std::fs::read(&p).unwrap(), before);
        // Another file than the one read.
        let other = disk("other", &old);
        assert!(apply(&other, &reader, &two[..1])
            .unwrap_err()
            .contains("no longer the disk"));
        std::fs::remove_file(&p).unwrap();
        std::fs::remove_file(&other).unwrap();
    }
}
