//! Paths of the guest's root namespace mapped to volumes through its own /etc/fstab,
//! on the fixture disks with a separate /boot (a primary and a logical partition).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use xlboot_boot::fstab::RootNamespace;
use xlboot_boot::Guest;
use xlboot_disk::{BlockDevice, IoError};

struct Image(File, u64);

impl BlockDevice for Image {
    fn size(&self) -> u64 {
        self.1
    }
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        xlboot_disk::block::check_range(offset, buf.len(), self.1)?;
        self.0
            .read_exact_at(buf, offset)
            .map_err(|e| IoError::Device {
                offset,
                len: buf.len() as u64,
                errno: e.raw_os_error(),
            })
    }
}

fn fixture(name: &str) -> (Image, String) {
    let dir = PathBuf::from(
        std::env::var("XLBOOT_FIXTURES").unwrap_or_else(|_| "/var/cache/xlboot/fixtures".into()),
    );
    let file = File::open(dir.join(format!("{name}.img")))
        .unwrap_or_else(|e| panic!("{name}.img: {e}: run scripts/fixtures/build"));
    let size = file.metadata().unwrap().len();
    let expect = std::fs::read_to_string(dir.join(format!("{name}.expect"))).unwrap();
    let kernel = expect
        .lines()
        .find_map(|l| l.strip_prefix("kernel="))
        .unwrap()
        .to_string();
    (Image(file, size), kernel)
}

#[test]
fn boot_paths_map_to_the_separate_boot_volume() {
    for (name, boot_device) in [("sepboot", "hd0,msdos1"), ("logical", "hd0,msdos5")] {
        let (image, kernel_on_boot) = fixture(name);
        let guest = Guest::open(&image, None).unwrap();
        let ns = RootNamespace::read(&guest)
            .unwrap()
            .expect("the root volume has /etc/fstab");
        // The config names /vmlinuz-V on the /boot volume; the running system calls it
        // /boot/vmlinuz-V.
        let located = ns.locate(&format!("/boot{kernel_on_boot}")).unwrap();
        assert_eq!(located.device, boot_device, "{name}");
        assert_eq!(located.path, kernel_on_boot, "{name}");
        guest
            .find(&located)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // Everything else stays on the root volume.
        let etc = ns.locate("/etc/fstab").unwrap();
        assert_ne!(etc.device, boot_device, "{name}");
        guest.find(&etc).unwrap();
    }
}
