//! What the sandboxed child sends its parent: the decision, never a path to write.
//!
//! The child may be compromised by the disk it reads, so the message carries only what
//! the guest could choose anyway (the command line, whether an initrd was copied, and
//! with `-n` the guest paths to show); the parent decides every dom0 path itself and
//! renders the reply, which escapes or refuses what the child sent. With
//! `--update-grubenv` it also carries the environment blocks to rewrite, which the
//! parent writes only where the disk still holds the bytes the child read.

/// The child's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It printed its answer itself (`-l`, `--isconfig`).
    Printed,
    /// `xlboot inspect`'s report, rendered, for the parent to check and print.
    Report {
        /// Whether the default entry's kernel and initrds were read (else the run
        /// fails after the report is printed).
        complete: bool,
        /// The report (text for people or JSON).
        text: String,
    },
    /// What to put in the reply.
    Boot {
        /// With `-n`: the guest path of the kernel, shown instead of a copy.
        kernel: Option<String>,
        /// The initrd.
        ramdisk: Ramdisk,
        /// The command line.
        args: String,
        /// Environment blocks to rewrite (`--update-grubenv`), at most
        /// [`MAX_ENV_PATCHES`].
        grubenv: Vec<EnvPatch>,
    },
}

/// Most environment blocks one boot rewrites (GRUB configs use one).
pub const MAX_ENV_PATCHES: usize = 8;

/// One environment block to rewrite: the bytes at a disk offset, before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvPatch {
    /// Byte offset on the disk image or device.
    pub offset: u64,
    /// What the child read there.
    pub old: Vec<u8>,
    /// What GRUB's `save_env` would leave there.
    pub new: Vec<u8>,
}

/// The initrd part of an [`Outcome`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ramdisk {
    /// The entry has none.
    None,
    /// It was copied into the initrd file the parent created.
    Copied,
    /// With `-n`: the guest paths of the initrds.
    Named(String),
}

impl Outcome {
    /// Serialises: a tag byte, then length-prefixed fields.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Outcome::Printed => out.push(b'P'),
            Outcome::Report { complete, text } => {
                out.push(b'R');
                out.push(u8::from(*complete));
                field(&mut out, Some(text));
            }
            Outcome::Boot {
                kernel,
                ramdisk,
                args,
                grubenv,
            } => {
                out.push(b'B');
                field(&mut out, kernel.as_deref());
                match ramdisk {
                    Ramdisk::None => out.push(b'0'),
                    Ramdisk::Copied => out.push(b'1'),
                    Ramdisk::Named(n) => {
                        out.push(b'2');
                        field(&mut out, Some(n));
                    }
                }
                field(&mut out, Some(args));
                out.push(u8::try_from(grubenv.len()).unwrap_or(u8::MAX));
                for p in grubenv {
                    out.extend_from_slice(&p.offset.to_le_bytes());
                    bytes_field(&mut out, &p.old);
                    bytes_field(&mut out, &p.new);
                }
            }
        }
        out
    }

    /// Parses what [`encode`](Self::encode) wrote; `None` for anything else.
    pub fn decode(bytes: &[u8]) -> Option<Outcome> {
        let (tag, mut rest) = bytes.split_first()?;
        let outcome = match tag {
            b'P' => Outcome::Printed,
            b'R' => {
                let (complete, after) = rest.split_first()?;
                rest = after;
                let complete = match complete {
                    0 => false,
                    1 => true,
                    _ => return None,
                };
                Outcome::Report {
                    complete,
                    text: take_field(&mut rest)??,
                }
            }
            b'B' => {
                let kernel = take_field(&mut rest)?;
                let (r, after) = rest.split_first()?;
                rest = after;
                let ramdisk = match r {
                    b'0' => Ramdisk::None,
                    b'1' => Ramdisk::Copied,
                    b'2' => Ramdisk::Named(take_field(&mut rest)??),
                    _ => return None,
                };
                let args = take_field(&mut rest)??;
                let (count, after) = rest.split_first()?;
                rest = after;
                if usize::from(*count) > MAX_ENV_PATCHES {
                    return None;
                }
                let mut grubenv = Vec::new();
                for _ in 0..*count {
                    let offset = u64::from_le_bytes(rest.get(..8)?.try_into().ok()?);
                    rest = rest.get(8..)?;
                    let old = take_bytes(&mut rest)?;
                    let new = take_bytes(&mut rest)?;
                    grubenv.push(EnvPatch { offset, old, new });
                }
                Outcome::Boot {
                    kernel,
                    ramdisk,
                    args,
                    grubenv,
                }
            }
            _ => return None,
        };
        rest.is_empty().then_some(outcome)
    }
}

/// `-` for absent, else `+`, a u32 length and the bytes.
fn field(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        None => out.push(b'-'),
        Some(v) => {
            out.push(b'+');
            out.extend_from_slice(&u32::try_from(v.len()).unwrap_or(u32::MAX).to_le_bytes());
            out.extend_from_slice(v.as_bytes());
        }
    }
}

/// A u32 length and the bytes.
fn bytes_field(out: &mut Vec<u8>, value: &[u8]) {
    out.extend_from_slice(&u32::try_from(value.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(value);
}

fn take_bytes(rest: &mut &[u8]) -> Option<Vec<u8>> {
    let len = usize::try_from(u32::from_le_bytes(rest.get(..4)?.try_into().ok()?)).ok()?;
    let value = rest.get(4..)?.get(..len)?.to_vec();
    *rest = rest.get(4 + len..)?;
    Some(value)
}

fn take_field(rest: &mut &[u8]) -> Option<Option<String>> {
    let (flag, after) = rest.split_first()?;
    match flag {
        b'-' => {
            *rest = after;
            Some(None)
        }
        b'+' => {
            let len = usize::try_from(u32::from_le_bytes(after.get(..4)?.try_into().ok()?)).ok()?;
            let value = after.get(4..)?.get(..len)?;
            *rest = after.get(4 + len..)?;
            Some(Some(String::from_utf8(value.to_vec()).ok()?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for o in [
            Outcome::Printed,
            Outcome::Report {
                complete: true,
                text: "{\n}\n".into(),
            },
            Outcome::Report {
                complete: false,
                text: String::new(),
            },
            Outcome::Boot {
                kernel: None,
                ramdisk: Ramdisk::Copied,
                args: "a\0b\nc".into(),
                grubenv: Vec::new(),
            },
            Outcome::Boot {
                kernel: None,
                ramdisk: Ramdisk::None,
                args: String::new(),
                grubenv: vec![
                    EnvPatch {
                        offset: 1 << 40,
                        old: vec![1; 1024],
                        new: vec![2; 1024],
                    },
                    EnvPatch {
                        offset: 0,
                        old: Vec::new(),
                        new: vec![3],
                    },
                ],
            },
            Outcome::Boot {
                kernel: Some("(hd0)/k".into()),
                ramdisk: Ramdisk::Named("(hd0)/i".into()),
                args: String::new(),
                grubenv: Vec::new(),
            },
            Outcome::Boot {
                kernel: None,
                ramdisk: Ramdisk::None,
                args: "x".into(),
                grubenv: Vec::new(),
            },
        ] {
            assert_eq!(Outcome::decode(&o.encode()), Some(o));
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            &b""[..],
            b"X",
            b"B",
            b"B-1+\xff\xff\xff\xffx",
            b"P extra",
            b"R",
            b"R\x02+\0\0\0\0",
            b"R\x01-",
            b"B-0+\x01\0\0\0",
            b"B-0+\0\0\0\0",
            b"B-0+\0\0\0\0\x09",
            b"B-0+\0\0\0\0\x01\0\0\0\0\0\0\0\0\x01\0\0\0",
        ] {
            assert_eq!(Outcome::decode(bad), None, "{bad:?}");
        }
    }
}
