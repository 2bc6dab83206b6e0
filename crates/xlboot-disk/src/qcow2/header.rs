//! The qcow2 header (big-endian): version 2's 72 bytes, version 3's longer header
//! with feature bits and the compression type, then the header extensions (the
//! backing file's format among them) up to the end of the first cluster.

use alloc::format;
use alloc::string::String;

use crate::block::BlockDevice;

use super::Qcow2Error;

/// `QFI\xfb`.
pub const MAGIC: [u8; 4] = *b"QFI\xfb";
/// Smallest and largest cluster sizes QEMU makes (512 B to 2 MiB).
pub const MIN_CLUSTER_BITS: u32 = 9;
/// See [`MIN_CLUSTER_BITS`].
pub const MAX_CLUSTER_BITS: u32 = 21;
/// Longest backing file name read (QEMU's limit is 1023 bytes).
pub const MAX_BACKING_NAME: u32 = 1023;
/// Largest virtual disk accepted (QEMU's limit is 32 MiB of L1 table; 2^61 bytes
/// is far above any real disk and keeps every offset computation in range).
pub const MAX_VIRTUAL_SIZE: u64 = 1 << 61;

/// Incompatible feature bits.
const DIRTY: u64 = 1;
const CORRUPT: u64 = 1 << 1;
const EXTERNAL_DATA: u64 = 1 << 2;
const COMPRESSION_TYPE: u64 = 1 << 3;
const EXTENDED_L2: u64 = 1 << 4;
const KNOWN_INCOMPATIBLE: u64 = DIRTY | CORRUPT | EXTERNAL_DATA | COMPRESSION_TYPE | EXTENDED_L2;

/// Header extension types.
const EXT_END: u32 = 0;
const EXT_BACKING_FORMAT: u32 = 0xE279_2ACA;

/// How compressed clusters are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Raw deflate (QEMU calls it zlib; it writes no zlib header).
    Deflate,
    /// Zstandard frames.
    Zstd,
}

/// The parts of the header xlboot uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// 2 or 3.
    pub version: u32,
    /// log2 of the cluster size.
    pub cluster_bits: u32,
    /// Virtual disk size in bytes.
    pub size: u64,
    /// Entries in the L1 table.
    pub l1_size: u32,
    /// Offset of the L1 table in the file.
    pub l1_table_offset: u64,
    /// Compressed clusters' codec.
    pub compression: Compression,
    /// L2 entries are 128 bits with a subcluster bitmap.
    pub extended_l2: bool,
    /// The backing file name, as written (bytes, not trusted).
    pub backing_file: Option<String>,
    /// The backing file's format from the header extension, if the image names it.
    pub backing_format: Option<String>,
}

fn be32(b: &[u8], off: usize) -> u32 {
    b.get(off..)
        .and_then(|s| s.first_chunk::<4>())
        .map_or(0, |a| u32::from_be_bytes(*a))
}

fn be64(b: &[u8], off: usize) -> u64 {
    b.get(off..)
        .and_then(|s| s.first_chunk::<8>())
        .map_or(0, |a| u64::from_be_bytes(*a))
}

/// True if `dev` starts with the qcow2 magic.
pub fn has_magic<D: BlockDevice + ?Sized>(dev: &D) -> bool {
    let mut m = [0u8; 4];
    dev.read_exact_at(0, &mut m).is_ok() && m == MAGIC
}

impl Header {
    /// Reads and checks the header of the qcow2 file `dev`.
    pub fn read<D: BlockDevice + ?Sized>(dev: &D) -> Result<Header, Qcow2Error> {
        let corrupt = |what: String| Qcow2Error::Corrupt(format!("qcow2 header: {what}"));
        let unsupported = |what: String| Qcow2Error::Unsupported(format!("qcow2 image: {what}"));
        let mut h = [0u8; 512];
        let n = dev.size().min(512);
        let n = usize::try_from(n).unwrap_or(512);
        let head = h.get_mut(..n).unwrap_or(&mut []);
        dev.read_exact_at(0, head)?;
        if h.get(..4) != Some(&MAGIC[..]) {
            return Err(corrupt("no QFI\\xfb magic".into()));
        }
        let version = be32(&h, 4);
        if version != 2 && version != 3 {
            return Err(unsupported(format!("version {version}")));
        }
        let cluster_bits = be32(&h, 20);
        if !(MIN_CLUSTER_BITS..=MAX_CLUSTER_BITS).contains(&cluster_bits) {
            return Err(corrupt(format!("cluster size 2^{cluster_bits}")));
        }
        let size = be64(&h, 24);
        if size > MAX_VIRTUAL_SIZE {
            return Err(corrupt(format!("virtual size {size}")));
        }
        if be32(&h, 32) != 0 {
            return Err(unsupported("encrypted (crypt_method set)".into()));
        }
        let l1_size = be32(&h, 36);
        let l1_table_offset = be64(&h, 40);
        let cluster_size = 1u64 << cluster_bits;
        if l1_table_offset & cluster_size.saturating_sub(1) != 0 {
            return Err(corrupt("L1 table not cluster-aligned".into()));
        }
        let (mut compression, mut extended_l2, header_length) =
            (Compression::Deflate, false, 72u32);
        let header_length = if version == 3 {
            let incompatible = be64(&h, 72);
            if incompatible & !KNOWN_INCOMPATIBLE != 0 {
                return Err(unsupported(format!(
                    "incompatible feature bits {:#x}",
                    incompatible & !KNOWN_INCOMPATIBLE
                )));
            }
            if incompatible & CORRUPT != 0 {
                return Err(corrupt("QEMU marked the image corrupt".into()));
            }
            if incompatible & EXTERNAL_DATA != 0 {
                return Err(unsupported("external data file".into()));
            }
            extended_l2 = incompatible & EXTENDED_L2 != 0;
            let len = be32(&h, 100);
            if !(104..=512).contains(&len) || len % 8 != 0 {
                return Err(corrupt(format!("header length {len}")));
            }
            if incompatible & COMPRESSION_TYPE != 0 {
                compression = match h.get(104).copied() {
                    Some(0) if len > 104 => Compression::Deflate,
                    Some(1) if len > 104 => Compression::Zstd,
                    other => {
                        return Err(unsupported(format!("compression type {other:?}")));
                    }
                };
            }
            len
        } else {
            header_length
        };
        // The L1 table must cover the virtual size.
        let l2_entries = cluster_size >> if extended_l2 { 4 } else { 3 };
        let per_l1 = cluster_size.saturating_mul(l2_entries);
        let needed = size.div_ceil(per_l1);
        if u64::from(l1_size) < needed {
            return Err(corrupt(format!(
                "L1 table of {l1_size} entries covers less than the virtual size {size}"
            )));
        }
        // Backing file name.
        let backing_offset = be64(&h, 8);
        let backing_len = be32(&h, 16);
        let backing_file = if backing_offset != 0 && backing_len != 0 {
            if backing_len > MAX_BACKING_NAME
                || backing_offset.saturating_add(u64::from(backing_len)) > cluster_size
            {
                return Err(corrupt(
                    "backing file name outside the first cluster".into(),
                ));
            }
            let mut name = alloc::vec![0u8; backing_len as usize];
            dev.read_exact_at(backing_offset, &mut name)?;
            Some(
                String::from_utf8(name)
                    .map_err(|_| corrupt("backing file name is not UTF-8".into()))?,
            )
        } else {
            None
        };
        // Header extensions: from the header's end, each 8-byte aligned, inside the
        // first cluster (and before the backing file name).
        let mut backing_format = None;
        let limit = if backing_file.is_some() {
            backing_offset
        } else {
            cluster_size
        }
        .min(cluster_size);
        let mut pos = u64::from(header_length);
        let mut count = 0u32;
        loop {
            count = count.saturating_add(1);
            if count > 64 || pos.saturating_add(8) > limit {
                break;
            }
            let mut eh = [0u8; 8];
            dev.read_exact_at(pos, &mut eh)?;
            let (ty, len) = (be32(&eh, 0), be32(&eh, 4));
            if ty == EXT_END {
                break;
            }
            let data_at = pos.saturating_add(8);
            let end = data_at.saturating_add(u64::from(len));
            if end > limit {
                return Err(corrupt(format!(
                    "header extension {ty:#x} runs past the header area"
                )));
            }
            if ty == EXT_BACKING_FORMAT {
                if len == 0 || len > 32 {
                    return Err(corrupt("backing format name length".into()));
                }
                let mut name = alloc::vec![0u8; len as usize];
                dev.read_exact_at(data_at, &mut name)?;
                backing_format = Some(
                    String::from_utf8(name)
                        .map_err(|_| corrupt("backing format is not UTF-8".into()))?,
                );
            }
            pos = data_at.saturating_add(u64::from(len).next_multiple_of(8));
        }
        Ok(Header {
            version,
            cluster_bits,
            size,
            l1_size,
            l1_table_offset,
            compression,
            extended_l2,
            backing_file,
            backing_format,
        })
    }
}
