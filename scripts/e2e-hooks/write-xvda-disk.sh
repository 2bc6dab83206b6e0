#!/bin/bash
# Runs in the nested Xen host's dom0 before the test guest is created: writes the
# pvh-loader-disk case's guest disk (scripts/e2e-hooks/build-xvda-disk) onto /dev/vdb,
# the disk the guest gets as xvda. QEMU runs that disk with snapshot=on, so the
# write is thrown away when the run ends.
set -e
gzip -dc /var/e2e-job/files/guest-xvda.img.gz | dd of=/dev/vdb bs=1M conv=fsync status=none
blockdev --flushbufs /dev/vdb
echo "guest disk written: $(md5sum /dev/vdb | cut -d' ' -f1)"
