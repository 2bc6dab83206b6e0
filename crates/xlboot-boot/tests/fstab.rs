//! Paths of the guest's root namespace mapped to volumes through its own /etc/fstab,
//! on the fixture disks with a separate /boot (a primary and a logical partition).

mod common;

use common::Image;
use xlboot_boot::fstab::RootNamespace;
use xlboot_boot::Guest;

fn fixture(name: &str) -> (Image, String) {
    let dir = common::fixtures();
    let image = Image::open(&dir.join(format!("{name}.img")));
    let expect = std::fs::read_to_string(dir.join(format!("{name}.expect"))).unwrap();
    let kernel = expect
        .lines()
        .find_map(|l| l.strip_prefix("kernel="))
        .unwrap()
        .to_string();
    (image, kernel)
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

/// Debian's `/vmlinuz` and `/initrd.img` are symlinks on the root volume to
/// `boot/vmlinuz-V`, a file of the separate /boot volume: resolving them follows the
/// link across the mount point, as the running guest (and `/sbin/lilo`) would.
#[test]
fn symlinks_are_followed_across_mount_points() {
    for (name, boot_device) in [("sepboot", "hd0,msdos1"), ("logical", "hd0,msdos5")] {
        let (image, _) = fixture(name);
        let guest = Guest::open(&image, None).unwrap();
        let ns = RootNamespace::read(&guest).unwrap().unwrap();
        for link in [
            "/vmlinuz",
            "/initrd.img",
            "/vmlinuz.old",
            "/boot/../initrd.img.old",
        ] {
            let f = ns
                .resolve(&guest, link)
                .unwrap()
                .unwrap_or_else(|| panic!("{name}: {link} not resolved"));
            assert_eq!(f.device, boot_device, "{name}: {link}");
            let base = link.rsplit('/').next().unwrap().trim_end_matches(".old");
            assert!(
                f.path.starts_with(&format!("/{base}-")),
                "{name}: {link} -> {f}"
            );
            guest.find(&f).unwrap();
        }
        let fstab = ns.resolve(&guest, "/boot/../etc/./fstab").unwrap().unwrap();
        assert_ne!(fstab.device, boot_device);
        assert_eq!(ns.resolve(&guest, "/no/such/file").unwrap(), None);
        assert_eq!(ns.resolve(&guest, "/boot").unwrap(), None, "a directory");
        assert_eq!(ns.resolve(&guest, "relative").unwrap(), None);
    }
}
