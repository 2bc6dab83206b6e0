# The Xen notes of FreeBSD's i386 Xen PV kernel (its Xen locore, before FreeBSD
# dropped i386 PV):
# 32-bit values at KERNBASE 0xc0000000. With --defsym PAE=1, PAE_MODE "yes";
# without, "no" (a non-PAE PV guest no current Xen runs).
.include "elfnote.inc"

.section __xen_guest
	ELFNOTE 6,  .asciz, "FreeBSD"			# GUEST_OS
	ELFNOTE 7,  .asciz, "HEAD"			# GUEST_VERSION
	ELFNOTE 5,  .asciz, "xen-3.0"			# XEN_VERSION
	ELFNOTE 3,  .long,  0xc0000000			# VIRT_BASE
	ELFNOTE 4,  .long,  0xc0000000			# PADDR_OFFSET
	ELFNOTE 1,  .long,  btext			# ENTRY
	ELFNOTE 2,  .long,  hypercall_page		# HYPERCALL_PAGE
	ELFNOTE 12, .long,  0xF5800000			# HV_START_LOW
	ELFNOTE 10, .asciz, "writable_page_tables|supervisor_mode_kernel|writable_descriptor_tables"
.ifdef PAE
	ELFNOTE 9,  .asciz, "yes"			# PAE_MODE
.else
	ELFNOTE 9,  .asciz, "no"			# PAE_MODE
.endif
	ELFNOTE 13, .long,  1, 1			# L1_MFN_VALID
	ELFNOTE 8,  .asciz, "generic"			# LOADER
	ELFNOTE 14, .long,  1				# SUSPEND_CANCEL

	.text
	.globl btext
btext:
	hlt
	.p2align 12, 0x90
hypercall_page:
	.skip 0x1000, 0x90
