//! Everything the loader set up with Xen and dom0, undone before the kernel starts,
//! so that the kernel's own drivers find the domain as a fresh one: they do not know
//! the loader was there.
//!
//! In order:
//!
//! 1. Every block frontend back to its first state ([`Blkfront::disconnect`]):
//!    Closing, Closed, the grants of its ring and data pages ended (once blkback has
//!    unmapped them), its event channel closed, `ring-ref`, `event-channel` and
//!    `protocol` removed, then Initialising with blkback in InitWait again, which is
//!    where xen-blkfront connects from. Until blkback is Closed the pages are its to
//!    map, so this comes first.
//! 2. The grant table ([`GrantTable::release`]): no grant live any more; its frame
//!    taken out of the loader's image again and RAM put back in its place (the kernel
//!    uses that page as memory: a live grant frame there would turn its writes into
//!    grants).
//! 3. xenstore ([`Xenstore::quiesce`]): every request taken, every reply read. The
//!    loader never registers a watch, so none is left; the ring and its event channel
//!    are the HVM parameters', which the kernel uses as they are.
//! 4. The console ([`console::drain`]), last, so that the messages of the teardown are
//!    out too: xenconsoled has taken all output. Its event channel stays open (an HVM
//!    parameter too).
//!
//! The loader allocates no other event channel, and maps no shared info page.
//! Any failure is returned: the caller shows it and powers off instead of starting a
//! kernel whose disks would not connect.

use alloc::string::String;
use alloc::vec::Vec;

use crate::console;
use crate::disk::XenDisk;
use crate::grant::GrantTable;
use crate::println;
use crate::xenstore::Xenstore;

/// Undoes everything the loader set up, in the order above. Call it last before
/// jumping to the kernel, after the kernel and initrd are in place (the disks are
/// gone afterwards), and print nothing after it.
pub fn before_handover(
    mut xs: Xenstore,
    mut grants: GrantTable,
    disks: Vec<XenDisk>,
) -> Result<(), String> {
    let count = disks.len();
    for disk in disks {
        disk.into_front().disconnect(&mut xs, &mut grants)?;
    }
    grants.release()?;
    xs.quiesce()?;
    println!(
        "teardown: {count} disk(s) back in InitWait, grants ended, grant table frame given back, xenstore quiet"
    );
    console::drain()
}
