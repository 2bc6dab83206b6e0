//! Running the parsers deprivileged.
//!
//! xlboot runs as root in dom0 and reads a disk the guest wrote: pygrub's XSA-443 was a
//! memory error reachable from such a disk, after which Xen supports pygrub only when
//! deprivileged. So xlboot splits in two. The privileged parent opens everything the run
//! needs (disk, reply file, output copies) and forks; the child gives up everything it
//! can before reading a byte of the guest, then parses, decides and copies through the
//! descriptors it inherited, and reports back over a pipe. The parent writes the reply
//! only if the child exited cleanly, and otherwise removes the copies.
//!
//! The child's layers, in the order applied:
//! 1. every inherited descriptor not on the keep list is closed;
//! 2. new IPC and UTS namespaces (root only). No network namespace: the seccomp list
//!    has no call that makes a socket, and Landlock denies TCP, so it would add
//!    nothing, while making one costs a fifth of a run's CPU and its teardown queues
//!    work on a kernel thread for every run of a boot storm. No mount namespace: what
//!    one guards against is mounting and unmounting, which the child can do neither
//!    without the capabilities the uid switch drops nor past the seccomp list, and its
//!    view of the mounts is already the empty chroot; making and tearing one down
//!    cost 0.6 ms of wall time per run, more than a third of the sandbox's;
//! 3. `chroot` into an empty directory nobody can read (root only);
//! 4. supplementary groups dropped, then gid and uid switched to an unprivileged user
//!    (root only);
//! 5. Landlock with no filesystem or network rights at all (it needs one descriptor
//!    of its own, so it comes before the descriptor limit);
//! 6. resource limits: no core dumps, a file size cap, an address space cap, a CPU
//!    time cap, no new descriptors (a limit of 1, below which descriptor 0 is taken),
//!    no new processes;
//! 7. `no_new_privs`;
//! 8. a seccomp filter allowing only the system calls parsing and copying make; any
//!    other call kills the child.
//!
//! A layer the host lacks (Landlock is often off, and a non-root caller cannot change
//! uid) is noted under `--debug` and the rest still apply; `--sandbox=strict` makes any
//! missing layer fatal. The parent also kills the child at the wall-clock timeout.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::resource::{setrlimit, Resource};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{ForkResult, Gid, Pid, Uid};

use crate::diag::Diag;

/// How strictly the sandbox is applied (`--sandbox`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// Apply every layer the host offers; note the missing ones under `--debug`.
    BestEffort,
    /// Fail when any layer cannot be applied.
    Strict,
}

/// What the child may do, and for how long.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The uid to run as when started as root: `--runas`, else the `xlboot` system
    /// user, else 65534.
    pub uid: u32,
    /// Its gid.
    pub gid: u32,
    /// Largest file the child may write (the output copies).
    pub max_file_size: u64,
    /// Largest address space.
    pub max_memory: u64,
    /// Wall-clock limit for the whole child, enforced by the parent.
    pub timeout: Duration,
    /// The menu's own bound, `--menu-timeout`: the child's heartbeats (a menu in
    /// use) keep it alive at most `2 * timeout + menu_time` in all (reading before
    /// the menu, the menu, copying after it).
    pub menu_time: Duration,
    /// See [`Strictness`].
    pub strictness: Strictness,
    /// The empty directory the child `chroot`s into when running as root (made on first
    /// use; see [`open_empty_root`]).
    pub empty_root: PathBuf,
}

/// The child's root directory: empty, mode 0, owned by root. It is made once and kept
/// (under the default output directory, on `/run` in a dom0), not made and removed on
/// every run: on a disk-backed `/var/run` that pair cost more wall time than the rest
/// of an `-n` run.
pub const EMPTY_ROOT: &str = "/var/run/xen/xlboot/.sandbox-root";

/// The uid and gid of `nobody`, used when there is no `xlboot` system user.
pub const NOBODY: u32 = 65534;

/// The address space the child may use: parsing needs a few MiB; copies are streamed.
pub const DEFAULT_MAX_MEMORY: u64 = 1 << 30;

/// The default wall-clock limit: libxl kills a restricted bootloader after 120 s; this
/// fails earlier, with a message, on a disk built to be slow.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(90);

/// Largest message the child may send back.
const MAX_MESSAGE: u64 = 1 << 20;

impl Policy {
    /// The user the child runs as: `runas` if given, else the `xlboot` system user if
    /// there is one, else nobody (65534). The gid is the user's primary group, or the
    /// uid itself for a uid with no passwd entry (as pygrub does for `--runas`).
    pub fn user(runas: Option<u32>) -> (u32, u32) {
        use crate::passwd::{lookup, Key};
        match runas {
            Some(uid) => (uid, lookup(Key::Uid(uid)).map_or(uid, |u| u.gid)),
            None => lookup(Key::Name("xlboot")).map_or((NOBODY, NOBODY), |u| (u.uid, u.gid)),
        }
    }
}

/// How the child ended, when it did not succeed.
#[derive(Debug)]
pub enum ChildFailure {
    /// It reported its error itself (one line on stderr) and exited 1.
    Reported,
    /// Anything else, described for the one line the parent prints.
    Other(String),
}

/// Runs `work` in a sandboxed child and returns what it sent back. `keep` are the
/// descriptors the child needs (stdin, stdout and stderr are always kept).
/// `heartbeat`: the parent's end of a pipe the child writes into while it waits for
/// a person (the menu); each byte gives it another `policy.timeout`, but never past
/// `2 * policy.timeout + policy.menu_time` from the start.
pub fn run_confined(
    policy: &Policy,
    keep: &[BorrowedFd<'_>],
    heartbeat: Option<BorrowedFd<'_>>,
    diag: &Diag,
    work: impl FnOnce() -> Result<Vec<u8>, String>,
) -> Result<Vec<u8>, ChildFailure> {
    let root_dir = if Uid::effective().is_root() {
        Some(open_empty_root(&policy.empty_root).map_err(|e| {
            ChildFailure::Other(format!(
                "cannot use the sandbox directory {}: {e}",
                policy.empty_root.display()
            ))
        })?)
    } else {
        None
    };
    let (read_end, write_end) =
        nix::unistd::pipe().map_err(|e| ChildFailure::Other(format!("pipe: {e}")))?;
    let result = match fork_child() {
        Err(e) => Err(ChildFailure::Other(format!("fork: {e}"))),
        Ok(ForkResult::Child) => {
            drop(read_end);
            let code = child(policy, keep, &write_end, root_dir, diag, work);
            std::process::exit(code);
        }
        Ok(ForkResult::Parent { child }) => {
            drop(write_end);
            parent(child, read_end, heartbeat, policy.timeout, policy.menu_time)
        }
    };
    result
}

/// Forks the process.
///
/// SAFETY: `fork` is safe to use here because xlboot is single-threaded at this point
/// (it starts no threads), so the child cannot inherit a lock held by another thread;
/// the child only runs Rust code and exits without returning into the caller.
#[allow(unsafe_code)]
fn fork_child() -> nix::Result<ForkResult> {
    unsafe { nix::unistd::fork() }
}

/// The child: confines itself, runs the work, sends the result, returns the exit code.
fn child(
    policy: &Policy,
    keep: &[BorrowedFd<'_>],
    pipe: &OwnedFd,
    root_dir: Option<OwnedFd>,
    diag: &Diag,
    work: impl FnOnce() -> Result<Vec<u8>, String>,
) -> i32 {
    // The parent's stop handlers only set a flag; the child must die of those signals.
    crate::menu::raw_mode::default_stop_handlers();
    let mut keep_fds: Vec<RawFd> = keep.iter().map(|f| f.as_raw_fd()).collect();
    keep_fds.extend([0, 1, 2, pipe.as_raw_fd()]);
    keep_fds.extend(root_dir.as_ref().map(|d| d.as_raw_fd()));
    if let Err(msg) = confine(policy, &keep_fds, root_dir, diag) {
        eprintln!("xlboot: sandbox: {msg}");
        return 1;
    }
    match work() {
        Ok(message) => {
            // Written through the inherited descriptor: no new descriptor may be made now.
            let mut rest = message.as_slice();
            while !rest.is_empty() {
                match nix::unistd::write(pipe, rest) {
                    Ok(n) => rest = rest.get(n..).unwrap_or_default(),
                    Err(nix::errno::Errno::EINTR) => {}
                    Err(_) => return 1,
                }
            }
            0
        }
        Err(msg) => {
            eprintln!("xlboot: {}", crate::diag::sanitize(&msg));
            1
        }
    }
}

/// Applies every layer; returns an error only for a layer that failed while required.
fn confine(
    policy: &Policy,
    keep: &[RawFd],
    root_dir: Option<OwnedFd>,
    diag: &Diag,
) -> Result<(), String> {
    let strict = policy.strictness == Strictness::Strict;
    let missing = |layer: &str, why: String| -> Result<(), String> {
        if strict {
            Err(format!("{layer} cannot be applied: {why}"))
        } else {
            diag.debug(format_args!("sandbox: {layer} not applied: {why}"));
            Ok(())
        }
    };

    close_other_fds(keep);
    let is_root = Uid::effective().is_root();

    if let (true, Some(root_dir)) = (is_root, root_dir) {
        use nix::sched::{unshare, CloneFlags};
        let flags = CloneFlags::CLONE_NEWIPC | CloneFlags::CLONE_NEWUTS;
        if let Err(e) = unshare(flags) {
            missing("namespaces", e.to_string())?;
        }
        // Into the directory the parent opened and checked, by descriptor: nothing
        // can swap the path in between.
        if let Err(e) = nix::unistd::fchdir(&root_dir).and_then(|()| nix::unistd::chroot(".")) {
            missing("chroot", e.to_string())?;
        }
        drop(root_dir);
    } else {
        missing(
            "namespaces and chroot",
            "xlboot is not running as root".into(),
        )?;
    }

    if is_root {
        let gid = Gid::from_raw(policy.gid);
        let uid = Uid::from_raw(policy.uid);
        let dropped = nix::unistd::setgroups(&[])
            .and_then(|()| nix::unistd::setresgid(gid, gid, gid))
            .and_then(|()| nix::unistd::setresuid(uid, uid, uid));
        if let Err(e) = dropped {
            // Never go on as root when the switch was asked for and failed half-way.
            return Err(format!(
                "cannot switch to uid {} gid {}: {e}",
                policy.uid, policy.gid
            ));
        }
        if Uid::effective().is_root() || Uid::current().is_root() {
            return Err("still root after switching users".into());
        }
    } else {
        missing("user switch", "xlboot is not running as root".into())?;
    }
    match landlock_deny_all() {
        Ok(None) => {}
        Ok(Some(note)) => diag.debug(format_args!("sandbox: {note}")),
        Err(why) => missing("Landlock", why)?,
    }

    let limits = [
        (Resource::RLIMIT_CORE, 0),
        (Resource::RLIMIT_FSIZE, policy.max_file_size),
        (Resource::RLIMIT_AS, policy.max_memory),
        (
            Resource::RLIMIT_CPU,
            policy.timeout.as_secs().saturating_add(1),
        ),
        (Resource::RLIMIT_MEMLOCK, 0),
        // 1, not 0: `poll` (the menu's wait for a key) refuses more descriptors than
        // this limit. Descriptor 0 stays open, so no new one fits below 1 either.
        (Resource::RLIMIT_NOFILE, 1),
    ];
    for (resource, value) in limits {
        if let Err(e) = setrlimit(resource, value, value) {
            missing(&format!("{resource:?}"), e.to_string())?;
        }
    }

    if let Err(e) = setrlimit(Resource::RLIMIT_NPROC, 0, 0) {
        missing("RLIMIT_NPROC", e.to_string())?;
    }

    if let Err(e) = nix::sys::prctl::set_no_new_privs() {
        missing("no_new_privs", e.to_string())?;
    }

    seccomp_allow_list().map_err(|e| format!("seccomp: {e}"))
}

/// Closes every descriptor but those in `keep`, so that the child cannot reach the
/// reply file or anything else the parent holds: one `close_range` per gap between
/// kept descriptors, or one `close` per descriptor on kernels before 5.9.
fn close_other_fds(keep: &[RawFd]) {
    let mut kept: Vec<u32> = keep.iter().filter_map(|f| u32::try_from(*f).ok()).collect();
    kept.sort_unstable();
    let mut first = 3u32;
    for next in kept.iter().copied().chain([u32::MAX]) {
        if next < first {
            continue;
        }
        if next > first && close_range(first, next - 1).is_err() {
            close_one_by_one(keep);
            return;
        }
        first = next.saturating_add(1);
    }
}

/// `close_range(first, last, 0)`.
///
/// SAFETY: the system call only closes descriptors; the child owns every descriptor
/// of its copy of the process and uses none of those it closes afterwards (it closes
/// exactly what the parent's objects would otherwise give it access to).
#[allow(unsafe_code)]
fn close_range(first: u32, last: u32) -> nix::Result<()> {
    let r = unsafe { nix::libc::syscall(nix::libc::SYS_close_range, first, last, 0u32) };
    nix::errno::Errno::result(r).map(drop)
}

/// The fallback of [`close_other_fds`]: every open descriptor, as `/proc` lists them.
fn close_one_by_one(keep: &[RawFd]) {
    let highest = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<RawFd>().ok())
                .max()
                .unwrap_or(1024)
        })
        .unwrap_or(1024);
    for fd in 3..=highest.max(3) {
        if !keep.contains(&fd) {
            let _ = nix::unistd::close(fd);
        }
    }
}

/// Landlock: handle every filesystem and network right and grant none, so that no file
/// can be opened and no socket bound or connected; descriptors already open still work.
///
/// The filesystem rights of the first Landlock ABI (opening, reading, writing, making
/// and removing files) are what matters and are required; rights of later ABIs
/// (truncate, device ioctls, TCP, scopes) are taken where the kernel has them, and
/// are also covered by the namespaces and the seccomp filter. `Err` when the required
/// part cannot be enforced; `Ok(Some(note))` when only the later rights are missing.
fn landlock_deny_all() -> Result<Option<String>, String> {
    use landlock::{
        Access, AccessFs, AccessNet, CompatLevel, Compatible, Ruleset, RulesetAttr, RulesetStatus,
        Scope, ABI,
    };
    let status = Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(AccessFs::from_all(ABI::V1))
        .map(|r| r.set_compatibility(CompatLevel::BestEffort))
        .and_then(|r| r.handle_access(AccessFs::from_all(ABI::V6)))
        .and_then(|r| r.handle_access(AccessNet::from_all(ABI::V6)))
        .and_then(|r| r.scope(Scope::from_all(ABI::V6)))
        .and_then(|r| r.create())
        .and_then(|r| r.restrict_self())
        .map_err(|e| e.to_string())?;
    match status.ruleset {
        RulesetStatus::FullyEnforced => Ok(None),
        RulesetStatus::PartiallyEnforced => Ok(Some(format!(
            "Landlock: files are locked, but this kernel ({}) lacks the later rights",
            match status.landlock {
                landlock::LandlockStatus::Available { effective_abi, .. } => {
                    // ABI::V2 and so on: the version number is what people look up.
                    format!(
                        "Landlock ABI {}",
                        format!("{effective_abi:?}").trim_start_matches('V')
                    )
                }
                _ => "Landlock status unknown".to_string(),
            }
        ))),
        _ => Err("not supported or not enabled in this kernel".into()),
    }
}

/// The system calls the child makes after confinement: reading the disk and writing
/// copies and messages through inherited descriptors, memory management, and exiting.
fn seccomp_allow_list() -> Result<(), String> {
    use nix::libc;
    use seccompiler::{BpfProgram, SeccompAction, SeccompFilter, TargetArch};
    let allowed = [
        libc::SYS_read,
        libc::SYS_pread64,
        libc::SYS_readv,
        libc::SYS_write,
        libc::SYS_writev,
        libc::SYS_pwrite64,
        // In-kernel copies of a kernel or initrd from the disk to its copy, both
        // descriptors already held (see copy.rs).
        libc::SYS_copy_file_range,
        libc::SYS_sendfile,
        libc::SYS_lseek,
        libc::SYS_close,
        libc::SYS_brk,
        libc::SYS_mmap,
        libc::SYS_munmap,
        libc::SYS_mremap,
        libc::SYS_madvise,
        libc::SYS_futex,
        libc::SYS_rt_sigreturn,
        libc::SYS_rt_sigprocmask,
        libc::SYS_sigaltstack,
        libc::SYS_exit,
        libc::SYS_exit_group,
        // The menu: waiting for a key with a time limit.
        libc::SYS_poll,
        libc::SYS_ppoll,
        libc::SYS_clock_gettime,
        // Harmless identity queries (used by the tests that check the user switch).
        libc::SYS_getuid,
        libc::SYS_getgid,
        libc::SYS_geteuid,
        libc::SYS_getegid,
    ];
    let mut rules: BTreeMap<i64, Vec<seccompiler::SeccompRule>> =
        allowed.iter().map(|n| (*n, Vec::new())).collect();
    // The menu asks the terminal's size (TIOCGWINSZ) and no other ioctl: not the
    // ones that change modes or push input (TIOCSTI).
    let winsize = seccompiler::SeccompCondition::new(
        1,
        seccompiler::SeccompCmpArgLen::Dword,
        seccompiler::SeccompCmpOp::Eq,
        u64::from(u32::try_from(libc::TIOCGWINSZ).map_err(|e| e.to_string())?),
    )
    .and_then(|c| seccompiler::SeccompRule::new(vec![c]))
    .map_err(|e| e.to_string())?;
    rules.insert(libc::SYS_ioctl, vec![winsize]);
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|e| format!("{e:?}"))?;
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::KillProcess,
        SeccompAction::Allow,
        arch,
    )
    .map_err(|e| e.to_string())?;
    let program: BpfProgram = filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| e.to_string())?;
    seccompiler::apply_filter(&program).map_err(|e| e.to_string())
}

/// The parent: reads the child's message until it closes the pipe, within the timeout,
/// then collects the child's status.
fn parent(
    child: Pid,
    pipe: OwnedFd,
    heartbeat: Option<BorrowedFd<'_>>,
    timeout: Duration,
    menu_time: Duration,
) -> Result<Vec<u8>, ChildFailure> {
    let start = Instant::now();
    let mut deadline = start + timeout;
    // A child that beats for ever (a menu that does not keep its own bound) is
    // still stopped: after the time to read the disk, the menu's time and the time
    // to copy the files.
    let last = deadline + timeout + menu_time;
    let mut message = Vec::new();
    let mut file = File::from(pipe);
    let mut heartbeat = heartbeat;
    let timed_out = loop {
        if let Some(sig) = crate::menu::raw_mode::stop_requested() {
            let _ = kill(child, Signal::SIGKILL);
            let _ = waitpid(child, None);
            return Err(ChildFailure::Other(format!("stopped by {sig:?}")));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break true;
        }
        let ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
        let mut fds = vec![PollFd::new(file.as_fd(), PollFlags::POLLIN)];
        if let Some(h) = heartbeat {
            fds.push(PollFd::new(h, PollFlags::POLLIN));
        }
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) => continue,
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(ChildFailure::Other(format!("poll: {e}"))),
        }
        let beat = fds
            .get(1)
            .and_then(PollFd::revents)
            .unwrap_or(PollFlags::empty());
        let message_ready = fds
            .first()
            .and_then(PollFd::revents)
            .is_some_and(|r| !r.is_empty());
        drop(fds);
        if let (Some(h), false) = (heartbeat, beat.is_empty()) {
            let mut buf = [0u8; 64];
            match nix::unistd::read(h, &mut buf) {
                Ok(n) if n > 0 => deadline = (Instant::now() + timeout).min(last),
                // The child closed its end (or it cannot be read): no more beats.
                _ => heartbeat = None,
            }
        }
        if !message_ready {
            continue;
        }
        let mut buf = [0u8; 65536];
        match file.read(&mut buf) {
            Ok(0) => break false,
            Ok(n) => {
                if message.len() as u64 + n as u64 > MAX_MESSAGE {
                    let _ = kill(child, Signal::SIGKILL);
                    let _ = waitpid(child, None);
                    return Err(ChildFailure::Other(
                        "the sandboxed child sent too much".into(),
                    ));
                }
                message.extend_from_slice(buf.get(..n).unwrap_or_default());
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ChildFailure::Other(format!("reading from the child: {e}"))),
        }
    };
    if timed_out {
        let _ = kill(child, Signal::SIGKILL);
        let _ = waitpid(child, None);
        if deadline >= last && !menu_time.is_zero() {
            return Err(ChildFailure::Other(format!(
                "gave up after {} s: the menu's time (--menu-timeout) and then the disk's (--timeout) ran out",
                start.elapsed().as_secs()
            )));
        }
        return Err(ChildFailure::Other(format!(
            "gave up after {} s (--timeout): the disk took too long to read",
            timeout.as_secs()
        )));
    }
    loop {
        match waitpid(child, None) {
            Ok(WaitStatus::Exited(_, 0)) => return Ok(message),
            Ok(WaitStatus::Exited(_, _)) => return Err(ChildFailure::Reported),
            Ok(WaitStatus::Signaled(_, sig, _)) => {
                return Err(ChildFailure::Other(format!(
                    "the sandboxed disk reader was killed by {sig:?}{}",
                    match sig {
                        Signal::SIGSYS => " (a system call outside its allow-list)",
                        Signal::SIGXFSZ => " (a copy reached the file size limit)",
                        Signal::SIGXCPU => " (its CPU time limit)",
                        Signal::SIGSEGV | Signal::SIGBUS => " (its address space limit, or a bug)",
                        _ => "",
                    }
                )))
            }
            Ok(_) => continue,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(ChildFailure::Other(format!("waitpid: {e}"))),
        }
    }
}

/// The child's root directory, opened by the parent: `path`, made (mode 0) when it is
/// missing, and checked to be a directory of mode 0 owned by root, so that the child,
/// once no longer root, can neither list nor enter anything in it. Runs share it; none
/// can write to it.
fn open_empty_root(path: &Path) -> std::io::Result<OwnedFd> {
    use nix::fcntl::{open, OFlag};
    use nix::sys::stat::{fstat, Mode, SFlag};
    use std::os::unix::fs::DirBuilderExt;
    let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let dir = match open(path, flags, Mode::empty()) {
        Err(nix::errno::Errno::ENOENT) => {
            if let Some(parent) = path.parent() {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(parent)?;
            }
            match std::fs::DirBuilder::new().mode(0o000).create(path) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
                _ => open(path, flags, Mode::empty())?,
            }
        }
        other => other?,
    };
    let st = fstat(&dir)?;
    let is_dir = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR;
    if !is_dir || st.st_mode & 0o7777 != 0 || st.st_uid != 0 {
        return Err(std::io::Error::other(
            "not a directory of mode 0 owned by root",
        ));
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(timeout: Duration) -> Policy {
        Policy {
            uid: 65534,
            gid: 65534,
            max_file_size: 1 << 20,
            max_memory: DEFAULT_MAX_MEMORY,
            timeout,
            menu_time: Duration::from_secs(3),
            strictness: Strictness::BestEffort,
            empty_root: EMPTY_ROOT.into(),
        }
    }

    fn confined(
        timeout: Duration,
        work: impl FnOnce() -> Result<Vec<u8>, String>,
    ) -> Result<Vec<u8>, ChildFailure> {
        run_confined(&policy(timeout), &[], None, &Diag::new(false), work)
    }

    #[test]
    fn the_child_runs_as_the_unprivileged_user() {
        let msg = confined(Duration::from_secs(10), || {
            Ok(format!("{} {}", Uid::current(), Gid::current()).into_bytes())
        })
        .unwrap();
        let expected = if Uid::effective().is_root() {
            "65534 65534".to_string()
        } else {
            format!("{} {}", Uid::current(), Gid::current())
        };
        assert_eq!(String::from_utf8(msg).unwrap(), expected);
    }

    #[test]
    fn opening_a_file_kills_the_child() {
        let err = confined(Duration::from_secs(10), || {
            let _ = File::open("/etc/passwd");
            Ok(b"opened".to_vec())
        })
        .unwrap_err();
        match err {
            ChildFailure::Other(m) => assert!(m.contains("SIGSYS"), "{m}"),
            ChildFailure::Reported => panic!("the child was not killed"),
        }
    }

    #[test]
    fn kept_descriptors_still_work() {
        let path = std::env::temp_dir().join(format!("xlboot-sandbox-keep-{}", std::process::id()));
        std::fs::write(&path, b"guest bytes").unwrap();
        let file = File::open(&path).unwrap();
        let msg = run_confined(
            &policy(Duration::from_secs(10)),
            &[file.as_fd()],
            None,
            &Diag::new(false),
            || {
                let mut buf = [0u8; 11];
                nix::sys::uio::pread(&file, &mut buf, 0).map_err(|e| e.to_string())?;
                Ok(buf.to_vec())
            },
        )
        .unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(msg, b"guest bytes");
    }

    #[test]
    fn a_child_that_hangs_is_killed_at_the_timeout() {
        let err = confined(Duration::from_secs(1), || loop {
            std::hint::spin_loop();
        })
        .unwrap_err();
        match err {
            ChildFailure::Other(m) => assert!(m.contains("gave up after 1 s"), "{m}"),
            ChildFailure::Reported => panic!("no timeout"),
        }
    }

    #[test]
    fn heartbeats_keep_a_child_alive_only_up_to_the_menu_time() {
        // A child beating every 100 ms with a 1 s timeout and 3 s of menu time: killed
        // after 5 s, not never.
        let (beats, beat_writer) = nix::unistd::pipe().unwrap();
        let start = Instant::now();
        let err = run_confined(
            &policy(Duration::from_secs(1)),
            &[beat_writer.as_fd()],
            Some(beats.as_fd()),
            &Diag::new(false),
            || loop {
                let _ = nix::unistd::write(&beat_writer, &[1]);
                // A sleep the filter allows.
                let _ = nix::poll::poll(&mut [], nix::poll::PollTimeout::from(100u16));
            },
        )
        .unwrap_err();
        let took = start.elapsed();
        assert!(
            took >= Duration::from_secs(5) && took < Duration::from_secs(9),
            "{took:?}"
        );
        match err {
            ChildFailure::Other(m) => assert!(m.contains("--menu-timeout"), "{m}"),
            ChildFailure::Reported => panic!("no timeout"),
        }
    }

    #[test]
    fn a_failing_child_reports_itself() {
        assert!(matches!(
            confined(Duration::from_secs(10), || Err("bad disk".into())),
            Err(ChildFailure::Reported)
        ));
    }
}
