# A kernel stub without Xen notes, for the legacy __xen_guest string objcopy adds.
	.text
	.globl start
start:
	hlt
	jmp start
