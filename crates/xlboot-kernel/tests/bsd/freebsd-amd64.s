# The Xen notes of a FreeBSD amd64 kernel, as sys/amd64/amd64/xen-locore.S
# declares them, with sys/amd64/include/asmacros.h's ELFNOTE (.note.Xen, "a",
# @note: allocated, so ld covers it with a PT_NOTE segment). Assembled with
# --defsym PVH=1, it also carries the PHYS32_ENTRY note of FreeBSD's PVH entry,
# in the form Xen's PVH ABI documents (a 32-bit physical address, VTOP of the
# 32-bit entry); with --defsym PVH_OUTSIDE=1 that note points below the kernel.
ELFNOTE_ALLOC = 1
.include "elfnote.inc"

.section __xen_guest
	ELFNOTE 6,  .asciz, "FreeBSD"			# GUEST_OS
	ELFNOTE 7,  .asciz, "1400097"			# GUEST_VERSION (__FreeBSD_version)
	ELFNOTE 5,  .asciz, "xen-3.0"			# XEN_VERSION
	ELFNOTE 3,  .quad,  0xffffffff80000000		# VIRT_BASE
	ELFNOTE 4,  .quad,  0				# PADDR_OFFSET
	ELFNOTE 1,  .quad,  xen_start			# ENTRY
	ELFNOTE 2,  .quad,  hypercall_page		# HYPERCALL_PAGE
	ELFNOTE 12, .quad,  0xffff800000000000		# HV_START_LOW
	ELFNOTE 10, .asciz, "writable_descriptor_tables|auto_translated_physmap|supervisor_mode_kernel|hvm_callback_vector"
	ELFNOTE 9,  .asciz, "yes"			# PAE_MODE
	ELFNOTE 13, .long,  1, 1			# L1_MFN_VALID
	ELFNOTE 8,  .asciz, "generic"			# LOADER
	ELFNOTE 14, .long,  0				# SUSPEND_CANCEL
	ELFNOTE 11, .asciz, "yes"			# BSD_SYMTAB
.ifdef PVH
	ELFNOTE 18, .long,  xen_start32 - 0xffffffff80000000	# PHYS32_ENTRY
.endif
.ifdef PVH_OUTSIDE
	ELFNOTE 18, .long,  0x100000			# PHYS32_ENTRY, below the kernel
.endif

	.text
	.globl btext
btext:
	.p2align 12, 0x90
hypercall_page:
	.skip 0x1000, 0x90
xen_start:
	hlt
	.code32
xen_start32:
	hlt
