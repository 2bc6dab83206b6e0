//! xlboot: boots Xen guests from the kernel on their own disks.

fn main() {
    std::process::exit(1);
}
