//! The guest's disk as dom0 sees it: a raw image file or a block device, read with
//! positional reads, or a qcow2 image (and its backing chain) read as the guest sees
//! it ([`open_guest_disk`]).

use std::cell::Cell;
use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use xlboot_disk::block_cache::BlockCache;
use xlboot_disk::{qcow2, vhd, BlockDevice, IoError};

/// A raw disk image or block device, opened read-only, with a budget of bytes that may
/// be read from it in one run.
#[derive(Debug)]
pub struct DiskImage {
    file: File,
    size: u64,
    read: Cell<u64>,
    budget: u64,
}

impl DiskImage {
    /// Opens `path` read-only. Its size comes from seeking to the end, which works
    /// for block devices as well as files.
    pub fn open(path: &Path, budget: u64) -> io::Result<Self> {
        Self::from_file(File::open(path)?, budget)
    }

    /// An image over a file already opened.
    pub fn from_file(mut file: File, budget: u64) -> io::Result<Self> {
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "is a directory",
            ));
        }
        let size = file.seek(SeekFrom::End(0))?;
        Ok(DiskImage {
            file,
            size,
            read: Cell::new(0),
            budget,
        })
    }
}

impl DiskImage {
    /// The open (read-only) file.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Counts `len` more bytes read against the budget: by
    /// [`BlockDevice::read_exact_at`], or by the kernel for an in-kernel copy.
    pub fn charge(&self, len: u64) -> Result<(), IoError> {
        let read = self.read.get().saturating_add(len);
        if read > self.budget {
            return Err(IoError::Budget { limit: self.budget });
        }
        self.read.set(read);
        Ok(())
    }
}

impl BlockDevice for DiskImage {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        xlboot_disk::block::check_range(offset, buf.len(), self.size)?;
        self.charge(buf.len() as u64)?;
        self.file.read_exact_at(buf, offset).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                // The file shrank under us.
                IoError::OutOfRange {
                    offset,
                    len: buf.len() as u64,
                    size: self.size,
                }
            } else {
                IoError::Device {
                    offset,
                    len: buf.len() as u64,
                    errno: e.raw_os_error(),
                }
            }
        })
    }
}

impl AsFd for DiskImage {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

/// A disk image format, named as libxl's disk specification names it (`format=` in
/// xl.cfg's `disk`): `raw`, `qcow2`, `vhd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// The guest's bytes, as they are.
    Raw,
    /// QEMU's copy-on-write format, versions 2 and 3.
    Qcow2,
    /// Virtual PC's format (QEMU's `vpc`), fixed and dynamic.
    Vhd,
}

impl ImageFormat {
    /// The name as xl.cfg's disk spec spells it.
    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Raw => "raw",
            ImageFormat::Qcow2 => "qcow2",
            ImageFormat::Vhd => "vhd",
        }
    }
}

impl std::str::FromStr for ImageFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "raw" => Ok(ImageFormat::Raw),
            "qcow2" => Ok(ImageFormat::Qcow2),
            "vhd" => Ok(ImageFormat::Vhd),
            "qcow" | "qed" => Err(format!(
                "unsupported disk format {s}: xlboot reads raw, qcow2 and vhd \
                 (qemu-img convert -O qcow2 makes a qcow2 image of it)"
            )),
            _ => Err(format!("unknown disk format {s:?} (raw, qcow2, vhd)")),
        }
    }
}

/// Longest backing chain followed: the top image and at most this many below it.
pub const MAX_BACKING_CHAIN: usize = 8;

/// The guest's disk as the guest sees it, over one or more open files (a qcow2 image
/// and its backing chain). The files stay open, and their descriptors are what the
/// sandboxed child may keep. Small reads of the view go through a bounded cache of
/// its blocks (`xlboot_disk::block_cache`): filesystem metadata is read again and
/// again, and under a compressed qcow2 cluster each read would decompress it anew.
pub struct GuestDisk {
    files: Vec<Rc<DiskImage>>,
    view: Box<dyn BlockDevice>,
    format: ImageFormat,
    /// Whether the format was given (`--format`) rather than read from the header.
    given: bool,
}

impl GuestDisk {
    /// The guest's view of the disk.
    pub fn view(&self) -> &dyn BlockDevice {
        self.view.as_ref()
    }

    /// The file itself when the guest's view is the file's bytes (a raw disk): the
    /// only kind `--update-grubenv` writes, since a guest offset of a qcow2 or VHD
    /// image is not an offset in its file.
    pub fn raw_file(&self) -> Option<&File> {
        self.raw_image().map(DiskImage::file)
    }

    /// The image itself when the guest's view is the file's bytes (a raw disk), so
    /// that a guest offset is an offset in the file.
    pub fn raw_image(&self) -> Option<&DiskImage> {
        self.files
            .first()
            .filter(|_| self.format == ImageFormat::Raw)
            .map(|f| &**f)
    }

    /// How the disk is read, for `--debug`: `qcow2 (from its header), 2 files, the
    /// guest sees 67108864 bytes`.
    pub fn describe(&self) -> String {
        let name = self.format.name();
        let how = if self.given {
            "--format"
        } else {
            "from its header"
        };
        let files = match self.files.len() {
            1 => String::new(),
            n => format!(", {n} files (backing chain)"),
        };
        format!(
            "opened read-only as {name} ({how}){files}, the guest sees {} bytes",
            self.view.size()
        )
    }

    /// The image's format, as given or as its header said.
    pub fn format(&self) -> ImageFormat {
        self.format
    }

    /// How many files the view reads: the image and its backing chain.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// The descriptors of every file the view reads.
    pub fn fds(&self) -> impl Iterator<Item = BorrowedFd<'_>> {
        self.files.iter().map(|f| f.as_fd())
    }
}

/// How the guest's disk is opened: its format, and where backing files may live.
#[derive(Debug, Clone, Default)]
pub struct OpenPolicy {
    /// `--format`: the format the administrator says the file has.
    pub format: Option<ImageFormat>,
    /// `--backing-dir`: directories besides the top image's own where backing files
    /// may be.
    pub backing_dirs: Vec<PathBuf>,
    /// Budget of bytes read from each file.
    pub budget: u64,
}

/// Opens the guest's disk at `path`.
///
/// The format is the one given (`--format`, as libxl's disk spec names it), or else
/// the file's own header: a file that starts with the qcow2 magic is read as qcow2,
/// one that starts with a VHD footer copy (a dynamic VHD) as VHD, anything else as
/// raw (QEMU's probe looks at the same places; a fixed VHD, whose only footer is at
/// its end, needs `--format=vhd`). A raw file's contents are never examined to guess anything
/// further, and the header check has a hard limit: an image whose format was not
/// given never reaches another file. A guest can write a qcow2 header at the start
/// of its raw disk; if its backing file name were followed, the guest would choose
/// a file on dom0 for xlboot to read as its disk (another guest's disk in the same
/// directory, say) and have parts of it copied out as its kernel. So backing files
/// are followed only with `--format=qcow2`, where the administrator vouches that the
/// file is a qcow2 image whose header the guest cannot write (QEMU writes only the
/// guest's data inside it).
///
/// Even then, a backing file name was chosen by whoever made the image, so it is
/// followed only when the header also names the backing file's format (raw or
/// qcow2; never probed), when it lies inside the top image's directory or a
/// `--backing-dir` (after `.` and `..` are resolved by name), when every path
/// component below that directory is opened without following symlinks (`openat`
/// with `O_NOFOLLOW`, one component at a time) and the result is a regular file, and
/// when the chain is at most [`MAX_BACKING_CHAIN`] files deep. Otherwise the error
/// names the refused path and why.
pub fn open_guest_disk(path: &Path, policy: &OpenPolicy) -> Result<GuestDisk, String> {
    let top = Rc::new(
        DiskImage::open(path, policy.budget)
            .map_err(|e| format!("cannot open the disk image {}: {e}", path.display()))?,
    );
    let (format, follow) = match policy.format {
        Some(f) => (f, true),
        None if qcow2::header::has_magic(&*top) => (ImageFormat::Qcow2, false),
        None if vhd::has_cookie_at_start(&*top) => (ImageFormat::Vhd, false),
        None => (ImageFormat::Raw, false),
    };
    let mut files = vec![Rc::clone(&top)];
    let view: Box<dyn BlockDevice> = match format {
        ImageFormat::Raw => Box::new(Rc::clone(&top)),
        ImageFormat::Vhd => Box::new(
            vhd::Vhd::open(Rc::clone(&top)).map_err(|e| format!("{}: {e}", path.display()))?,
        ),
        ImageFormat::Qcow2 => {
            let dir = image_dir(path);
            let mut allowed =
                vec![std::fs::canonicalize(dir).map_err(|e| format!("{}: {e}", dir.display()))?];
            for d in &policy.backing_dirs {
                allowed.push(
                    std::fs::canonicalize(d)
                        .map_err(|e| format!("--backing-dir {}: {e}", d.display()))?,
                );
            }
            open_qcow2(path, top, &allowed, follow, policy.budget, 0, &mut files)?
        }
    };
    Ok(GuestDisk {
        files,
        view: Box::new(BlockCache::new(view)),
        format,
        given: policy.format.is_some(),
    })
}

/// The directory holding the image file `path`: `.` for a bare file name, whose
/// `parent()` is the empty path (which names no directory, so a backing file found
/// from it would never lie inside the image's own directory).
fn image_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn open_qcow2(
    path: &Path,
    file: Rc<DiskImage>,
    allowed: &[PathBuf],
    follow: bool,
    budget: u64,
    depth: usize,
    files: &mut Vec<Rc<DiskImage>>,
) -> Result<Box<dyn BlockDevice>, String> {
    let header = qcow2::Header::read(&*file).map_err(|e| format!("{}: {e}", path.display()))?;
    let backing: Option<Box<dyn BlockDevice>> = match &header.backing_file {
        None => None,
        Some(name) => {
            let refuse = |why: &str| {
                format!(
                    "{}: refusing its backing file {name:?}: {why}",
                    path.display()
                )
            };
            if !follow {
                return Err(refuse(
                    "the image's format was not given (--format=qcow2 follows backing files)",
                ));
            }
            if depth + 1 >= MAX_BACKING_CHAIN {
                return Err(refuse(&format!(
                    "the backing chain is longer than {MAX_BACKING_CHAIN} files"
                )));
            }
            let format = match header.backing_format.as_deref() {
                Some("raw") => ImageFormat::Raw,
                Some("qcow2") => ImageFormat::Qcow2,
                Some(other) => {
                    return Err(refuse(&format!("backing format {other:?} is not read")))
                }
                None => return Err(refuse("the image does not name the backing file's format")),
            };
            let parent = image_dir(path);
            let wanted = lexical_join(
                &std::fs::canonicalize(parent).unwrap_or(parent.to_path_buf()),
                name,
            );
            let (dir, rel) = allowed
                .iter()
                .find_map(|a| wanted.strip_prefix(a).ok().map(|r| (a, r.to_path_buf())))
                .ok_or_else(|| {
                    refuse(&format!(
                        "{} is outside the image's directory and every --backing-dir",
                        wanted.display()
                    ))
                })?;
            let opened = open_beneath(dir, &rel).map_err(|e| refuse(&e))?;
            let image =
                Rc::new(DiskImage::from_file(opened, budget).map_err(|e| refuse(&e.to_string()))?);
            files.push(Rc::clone(&image));
            Some(match format {
                ImageFormat::Raw => Box::new(image),
                ImageFormat::Vhd => return Err(refuse("a VHD backing file is not read")),
                ImageFormat::Qcow2 => {
                    open_qcow2(&wanted, image, allowed, true, budget, depth + 1, files)?
                }
            })
        }
    };
    let q = qcow2::Qcow2::open(file, backing, Some(decompress_cluster))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Box::new(q))
}

/// A qcow2 compressed cluster through `xlboot-compress`: raw deflate (what QEMU calls
/// zlib) or zstd, at most one cluster of output.
fn decompress_cluster(
    compression: qcow2::Compression,
    input: &[u8],
    cluster_size: usize,
) -> Result<Vec<u8>, String> {
    let codec = match compression {
        qcow2::Compression::Deflate => xlboot_compress::Codec::Deflate,
        qcow2::Compression::Zstd => xlboot_compress::Codec::Zstd,
    };
    xlboot_compress::decompress(codec, input, cluster_size).map_err(|e| e.to_string())
}

/// `base` joined with `name`, `.` and `..` resolved by name (no symlink is looked at).
fn lexical_join(base: &Path, name: &str) -> PathBuf {
    let mut out = if Path::new(name).is_absolute() {
        PathBuf::from("/")
    } else {
        base.to_path_buf()
    };
    for c in Path::new(name).components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// Opens `rel` below the directory `dir`, one component at a time, never following a
/// symlink; the result must be a regular file.
fn open_beneath(dir: &Path, rel: &Path) -> Result<File, String> {
    use nix::fcntl::{openat, OFlag};
    use nix::sys::stat::Mode;
    let mut current: OwnedFd = nix::fcntl::open(
        dir,
        OFlag::O_DIRECTORY | OFlag::O_RDONLY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| format!("{}: {e}", dir.display()))?;
    let parts: Vec<&std::ffi::OsStr> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n),
            _ => None,
        })
        .collect();
    let Some((last, dirs)) = parts.split_last() else {
        return Err(format!("{} is a directory", dir.display()));
    };
    for d in dirs {
        current = openat(
            &current,
            *d,
            OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_RDONLY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| {
            format!(
                "{}: {e} (symlinks are not followed)",
                Path::new(d).display()
            )
        })?;
    }
    let fd = openat(
        &current,
        *last,
        OFlag::O_NOFOLLOW | OFlag::O_RDONLY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| {
        format!(
            "{}: {e} (symlinks are not followed)",
            Path::new(last).display()
        )
    })?;
    let file = File::from(fd);
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    Ok(file)
}
