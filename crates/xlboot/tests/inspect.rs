//! `xlboot inspect` on the fixture disks (scripts/fixtures/build: real Debian kernels
//! and initrds, grub-mkconfig, sfdisk, sgdisk, mke2fs, lvm2): every field checked
//! against an independent answer. Hashes and the default against the `.expect` files,
//! partition tables against `sfdisk -J`, filesystem UUIDs and labels against
//! `blkid -p`, kernel versions against `file`, the compressor against the kernel's
//! own `config-*`, and the default rule against the evaluator's exact words.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::fixtures;

fn xlboot_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xlboot"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn xlboot(args: &[&str]) -> Output {
    xlboot_in(Path::new("/"), args)
}

/// The `key=value` lines of an image's `.expect` file.
fn expect(name: &str, key: &str) -> String {
    let text = fs::read_to_string(fixtures().join(format!("{name}.expect"))).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{name}.expect has no {key}="))
        .to_string()
}

fn inspect_json(image: &Path) -> Value {
    let out = xlboot(&["inspect", "--json", image.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}: {}",
        image.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every entry of a menu tree, depth first.
fn entries(items: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for item in items.as_array().unwrap() {
        match item["type"].as_str().unwrap() {
            "entry" => out.push(item),
            "submenu" => out.extend(entries(&item["items"])),
            other => panic!("item type {other}"),
        }
    }
    out
}

/// `file`'s reading of a bzImage's version string.
fn file_version(kernel: &Path) -> String {
    let out = Command::new("file").arg("-b").arg(kernel).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let rest = text.split_once(", version ").unwrap().1;
    rest.split_once(", RO-rootFS")
        .map_or(rest, |(v, _)| v)
        .to_string()
}

/// The compressor `config-RELEASE` chose, in Linux's lowercase spelling.
fn configured_compressor(kernel: &Path) -> String {
    let name = kernel.file_name().unwrap().to_str().unwrap();
    let config = kernel.with_file_name(name.replace("vmlinuz-", "config-"));
    fs::read_to_string(config)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("CONFIG_KERNEL_")?.strip_suffix("=y"))
        .unwrap()
        .to_ascii_lowercase()
}

/// `blkid -p` on the volume at `offset`: (UUID, LABEL).
fn blkid(image: &Path, offset: u64) -> (Option<String>, Option<String>) {
    let out = Command::new("blkid")
        .args(["-p", "-o", "export", "-O", &offset.to_string()])
        .arg(image)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(str::to_string)
    };
    (get("UUID"), get("LABEL"))
}

/// Checks the report of `name` against the fixture's expectation and the real tools.
fn check_image(name: &str, default_rule: Option<&str>) -> Value {
    let dir = fixtures();
    let image = dir.join(format!("{name}.img"));
    let r = inspect_json(&image);
    assert_eq!(r["schema"], 1);
    assert_eq!(r["complete"], true, "{name}");
    assert_eq!(r["problems"], serde_json::json!([]), "{name}");

    // Partition table: sfdisk's.
    let disk = &r["disks"][0];
    assert_eq!(disk["format"], "raw");
    assert_eq!(disk["size"], fs::metadata(&image).unwrap().len());
    let sfdisk = Command::new("sfdisk")
        .arg("-J")
        .arg(&image)
        .output()
        .unwrap();
    let table = &disk["partition_table"];
    if sfdisk.status.success() {
        let s: Value = serde_json::from_slice(&sfdisk.stdout).unwrap();
        let s = &s["partitiontable"];
        let scheme = match s["label"].as_str().unwrap() {
            "dos" => "msdos",
            other => other,
        };
        assert_eq!(table["scheme"], scheme, "{name}");
        let sector = s["sectorsize"].as_u64().unwrap_or(512);
        let theirs: Vec<(u64, u64, String)> = s["partitions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["type"] != "5") // the extended partition holds no volume
            .map(|p| {
                (
                    p["start"].as_u64().unwrap() * sector,
                    p["size"].as_u64().unwrap() * sector,
                    p["type"].as_str().unwrap().to_ascii_lowercase(),
                )
            })
            .collect();
        let ours: Vec<(u64, u64, String)> = table["partitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let t = p["type"].as_str().unwrap().to_ascii_lowercase();
                (
                    p["start"].as_u64().unwrap(),
                    p["length"].as_u64().unwrap(),
                    // sfdisk writes MBR types as hex without 0x.
                    t.strip_prefix("0x").unwrap_or(&t).to_string(),
                )
            })
            .collect();
        assert_eq!(ours, theirs, "{name}: partitions");
    } else {
        assert_eq!(table["scheme"], "none", "{name}");
    }

    // Filesystems on the first disk's partitions: blkid's UUID and label.
    for v in r["volumes"].as_array().unwrap() {
        let vname = v["name"].as_str().unwrap();
        if !vname.starts_with("hd0") || v["filesystem"].is_null() {
            continue;
        }
        let (uuid, label) = blkid(&image, v["start"].as_u64().unwrap());
        let fs = &v["filesystem"];
        assert_eq!(
            fs["uuid"].as_str().map(str::to_ascii_lowercase),
            uuid.map(|u| u.to_ascii_lowercase()),
            "{name} {vname}"
        );
        assert_eq!(
            fs["label"].as_str().map(str::to_string),
            label,
            "{name} {vname}"
        );
    }

    // The default entry: the one GRUB boots, its files hashed as the boot copies them.
    let menu = &r["menu"];
    if let Some(rule) = default_rule {
        assert_eq!(menu["default_rule"], rule, "{name}");
    }
    let all = entries(&menu["items"]);
    let defaults: Vec<&&Value> = all.iter().filter(|e| e["default"] == true).collect();
    assert_eq!(defaults.len(), 1, "{name}");
    let d = defaults[0];
    assert_eq!(menu["default"], d["path"]);
    assert_eq!(menu["default_index"], d["index"]);
    let title = expect(name, "title");
    assert_eq!(d["title"], title.rsplit('>').next().unwrap(), "{name}");
    let boot = &d["boot"];
    assert_eq!(boot["args"], expect(name, "args"), "{name}");
    assert_eq!(
        boot["kernel"]["sha256"],
        expect(name, "kernel_sha256"),
        "{name}"
    );
    assert_eq!(
        boot["initrds"][0]["sha256"],
        expect(name, "initrd_sha256"),
        "{name}"
    );

    // Every kernel: size, version and compressor from the files in the chroot.
    for e in &all {
        let k = &e["boot"]["kernel"];
        let base = Path::new(k["path"].as_str().unwrap())
            .file_name()
            .unwrap()
            .to_owned();
        let host = dir.join("chroot/boot").join(&base);
        assert_eq!(k["size"], fs::metadata(&host).unwrap().len(), "{name}");
        assert_eq!(k["format"], "bzImage");
        assert_eq!(k["version"], file_version(&host), "{name}");
        assert_eq!(k["compression"], configured_compressor(&host), "{name}");
        assert_eq!(k["elf"]["class"], 64);
        assert_eq!(k["elf"]["machine"], "x86-64");
        assert_eq!(k["xen"]["guest_os"], "linux");
        assert_eq!(k["capability"]["pv"]["ok"], true);
        assert_eq!(k["capability"]["pv"]["guest_type"], "xen-3.0-x86_64");
        assert_eq!(k["capability"]["pvh"]["ok"], true);
        assert_eq!(k["error"], Value::Null);
    }
    r
}

#[test]
fn json_report_of_a_plain_debian_guest() {
    let r = check_image("demo", Some("default=\"0\" (index): entry 0"));
    let configs = r["configs"].as_array().unwrap();
    assert_eq!(configs.len(), 1);
    assert_eq!(configs[0]["kind"], "grub2");
    assert_eq!(configs[0]["path"], "/boot/grub/grub.cfg");
    assert_eq!(configs[0]["used"], true);
}

#[test]
fn json_report_with_a_submenu_default_and_two_compressors() {
    let r = check_image(
        "mbr-title",
        Some(
            "default=\"Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-50-amd64\" (path): entry 1 -> 1>2",
        ),
    );
    let menu = &r["menu"];
    assert_eq!(menu["default"], "1>2");
    assert_eq!(menu["default_index"], 3);
    assert_eq!(menu["items"][1]["type"], "submenu");
    let kinds: Vec<&str> = entries(&menu["items"])
        .iter()
        .map(|e| e["boot"]["kernel"]["compression"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["lz4", "lz4", "lz4", "xz", "xz"]);
}

#[test]
fn json_report_of_gpt_lvm_and_separate_boot_guests() {
    check_image("gpt", None);
    check_image("sepboot", None);
    let r = check_image("lvm", None);
    assert!(
        r["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["name"].as_str().unwrap().starts_with("lvm/")),
        "{r}"
    );
}

#[test]
fn human_report() {
    let image = fixtures().join("mbr-title.img");
    let out = xlboot(&["inspect", image.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let kernel = fixtures().join("chroot/boot/vmlinuz-6.1.0-50-amd64");
    for line in [
        "  partition table: msdos (512-byte sectors)".to_string(),
        "configs:\n  (hd0,msdos1)/boot/grub/grub.cfg (GRUB 2, used)".into(),
        "  default: 1>2 (default=\"Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-50-amd64\" (path): entry 1 -> 1>2)".into(),
        "    entry 3, path 1>2 \"Debian GNU/Linux, with Linux 6.1.0-50-amd64\"".into(),
        format!(
            "      kernel: (hd0,msdos1)/boot/vmlinuz-6.1.0-50-amd64, {} bytes, sha256 {}",
            fs::metadata(&kernel).unwrap().len(),
            expect("mbr-title", "kernel_sha256")
        ),
        format!("        bzImage (boot protocol 2.15), xz compressed, version {}", file_version(&kernel)),
        "        PV: yes (xen-3.0-x86_64), PVH: yes".into(),
        "problems: none".into(),
    ] {
        assert!(text.contains(&line), "missing {line:?} in:\n{text}");
    }
}

#[test]
fn an_image_named_inspect_still_boots_in_pygrubs_form() {
    let dir = std::env::temp_dir().join(format!("xlboot-inspect-name-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(fixtures().join("demo.img"), dir.join("inspect")).unwrap();
    let out = xlboot_in(&dir, &["-n", "-q", "--output-format=simple", "inspect"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply = String::from_utf8(out.stdout).unwrap();
    assert!(
        reply.starts_with("kernel (hd0,msdos1)/boot/vmlinuz-6.1.0-50-amd64\n"),
        "{reply}"
    );
    // And inspect of an image named inspect.
    let out = xlboot_in(&dir, &["inspect", "--json", "inspect"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["disks"][0]["path"], "inspect");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn boot_options_are_refused_by_inspect_and_json_by_boot() {
    let image = fixtures().join("demo.img");
    let image = image.to_str().unwrap();
    for (args, needle) in [
        (
            vec!["inspect", "--entry=1", image],
            "option --entry does not apply to xlboot inspect",
        ),
        (
            vec!["-q", "--json", image],
            "option --json applies only to xlboot inspect",
        ),
    ] {
        let out = xlboot(&args);
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.starts_with(&format!("xlboot: {needle}; Usage: ")),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn json_report_of_a_qcow2_image_made_by_qemu_img() {
    if Command::new("qemu-img").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_none(),
            "qemu-img is required"
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("xlboot-inspect-qcow2-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let qcow2 = dir.join("demo.qcow2");
    let raw = fixtures().join("demo.img");
    let out = Command::new("qemu-img")
        .args(["convert", "-O", "qcow2"])
        .arg(&raw)
        .arg(&qcow2)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = inspect_json(&qcow2);
    let disk = &r["disks"][0];
    assert_eq!(disk["format"], "qcow2");
    assert_eq!(disk["files"], 1);
    assert_eq!(disk["size"], fs::metadata(&raw).unwrap().len());
    assert_eq!(r["complete"], true);
    let d = entries(&r["menu"]["items"])
        .into_iter()
        .find(|e| e["default"] == true)
        .unwrap();
    assert_eq!(
        d["boot"]["kernel"]["sha256"],
        expect("demo", "kernel_sha256")
    );
    fs::remove_dir_all(&dir).unwrap();
}
