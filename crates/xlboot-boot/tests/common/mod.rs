//! What the xlboot-boot tests share: the fixture directory, and fixture images read
//! as block devices, optionally through XOR patches (so nothing is copied).

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use xlboot_disk::{BlockDevice, IoError};

/// Where scripts/fixtures/build put the images.
pub fn fixtures() -> PathBuf {
    let dir = PathBuf::from(
        std::env::var("XLBOOT_FIXTURES").unwrap_or_else(|_| "/var/cache/xlboot/fixtures".into()),
    );
    assert!(
        dir.join("MANIFEST").is_file(),
        "no fixtures in {}: run scripts/fixtures/build",
        dir.display()
    );
    dir
}

/// A disk image file with XOR patches applied on read.
pub struct Image {
    pub file: File,
    pub size: u64,
    pub patches: BTreeMap<u64, u8>,
}

impl Image {
    /// Opens an image with no patches.
    pub fn open(path: &std::path::Path) -> Image {
        let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let size = file.metadata().unwrap().len();
        Image {
            file,
            size,
            patches: BTreeMap::new(),
        }
    }
}

impl BlockDevice for Image {
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
            })?;
        for (at, x) in self.patches.range(offset..offset + buf.len() as u64) {
            buf[(at - offset) as usize] ^= x;
        }
        Ok(())
    }
}
