#!/bin/bash
# Runs in the nested Xen host's dom0 (a Debian 12 system) before the test guest is
# created: installs the xlboot .deb the way docs/xl-cfg.md says, so that the guest's
# `bootloader = "xlboot"` is found by name through libxl's PATH fallback.
set -ex
dpkg -i /var/e2e-job/files/xlboot_*.deb
getent passwd xlboot
command -v xlboot
xlboot --version
man -w xlboot 2>/dev/null || ls -l /usr/share/man/man1/xlboot.1.gz
