#!/bin/bash
# A debugging hook for the nested Xen harness (E2E_HOOK=, run in dom0 before the test
# guest is created): shows what the guest's vCPU was doing when it stopped.
#
#   - streams the guest's console log onto dom0's console (the run's serial.log), as
#     `G| ` lines, while the guest runs;
#   - when the guest stops and stays stopped (a crash or a triple fault kept by
#     `on_crash`/`on_reboot = "preserve"`), prints its saved CPU state (`xen-hvmctx`),
#     names the kernel addresses in it from dom0's /proc/kallsyms (dom0 runs the same
#     kernel as the harness's guest, and neither PV nor PVH boots relocate it), and the
#     tail of `xl dmesg`, then destroys the guest so the run ends;
#   - every 10 s prints dom0's busiest processes and its last kernel messages (crashed
#     dom0 processes show there).
#
# Use, with the xvda disk of scripts/e2e's pvh-loader-disk case written first if the
# file is given:
#
#   cd ../shared/xen-e2e && sudo E2E_HOOK=$XLBOOT/scripts/e2e-hooks/debug-guest-stop.sh \
#       GUEST_EXTRA_CFG="$(printf 'on_crash = "preserve"\non_reboot = "preserve"\ntsc_mode = "native"')" \
#       QEMU=$XLBOOT/scripts/e2e-hooks/qemu-eager-fpu ./run.sh kernel:IMAGE pvh
#
# Keep `tsc_mode = "native"`: GUEST_EXTRA_CFG replaces the harness's own setting, and
# without it the emulated SVM fails on RDTSCP first.
if [ -f /var/e2e-job/files/guest-xvda.img.gz ]; then
    gzip -dc /var/e2e-job/files/guest-xvda.img.gz | dd of=/dev/vdb bs=1M conv=fsync status=none
    blockdev --flushbufs /dev/vdb
fi

# symbol ADDR...: the nearest kallsyms symbol at or below each kernel address. Only the
# low 32 bits are compared: awk's numbers are doubles, and kernel text lies in one 2 GiB.
symbol() {
    for a in "$@"; do
        awk -v a="${a#0x}" '
            function h(x,  i, n) { n = 0; for (i = 1; i <= length(x); i++) n = n * 16 + index("0123456789abcdef", substr(x, i, 1)) - 1; return n }
            BEGIN { t = h(substr(a, 9)) }
            $1 ~ /^ffffffff8/ { v = h(substr($1, 9)); if (v <= t && v > best) { best = v; name = $3 } }
            END { printf "%s %s+0x%x\n", a, name, t - best }' /proc/kallsyms
    done
}

(
    while :; do
        sleep 10
        echo "DBG ps: $(ps -eo pid,stat,pcpu,time,args --sort=-pcpu | head -6 | cut -c1-100 | tr '\n' '|')"
        dmesg | tail -n 2 | sed 's/^/DBG dmesg: /'
    done
) >/dev/console 2>&1 &
disown

(
    log=/var/log/xen/console/guest-e2e-guest.log
    shown=0
    while :; do
        if [ -f "$log" ]; then
            total=$(wc -l <"$log")
            if [ "$total" -gt "$shown" ]; then
                tail -n "+$((shown + 1))" "$log" | head -n "$((total - shown))" | sed 's/^/G| /'
                shown=$total
            fi
        fi
        line=$(xl list e2e-guest 2>/dev/null | awk 'NR == 2')
        case $(echo "$line" | awk '{ print $5 }') in
            *s* | *c*)
                sleep 2
                xl list e2e-guest >/dev/null 2>&1 || continue
                id=$(xl domid e2e-guest)
                state=$(/usr/lib/xen-4.17/bin/xen-hvmctx "$id" 2>/dev/null)
                echo "=== DBG guest stopped: $line"
                echo "$state" | sed -n '/Entry 1:/,/FPU/p'
                echo "=== DBG kernel addresses in it"
                echo "$state" | grep -oE '0xffffffff8[0-9a-f]{7}' | sort -u | while read -r a; do symbol "$a"; done
                echo "=== DBG xl dmesg"
                xl dmesg | grep -v 'HVM.*save' | tail -n 20
                echo "=== DBG end"
                xl destroy e2e-guest
                break
                ;;
        esac
        sleep 0.5
    done
) >/dev/console 2>&1 &
disown
