# A NetBSD GENERIC kernel's PVH entry note. The locore.S revision that adds it
# was not readable where this was written, so this carries only the one note
# libelf needs for PVH, in the form Xen's PVH ABI documents (a 32-bit physical
# address), pushed the way NetBSD's ELFNOTE does; nothing else is claimed.
.include "elfnote.inc"

	ELFNOTE 18, .long,  start_pvh - 0xffffffff80000000	# PHYS32_ENTRY

	.text
	.globl start
start:
	hlt
	.code32
start_pvh:
	hlt
