//! Links the image freestanding: no C library, no start files, no PIE, at the
//! addresses linker.ld gives.
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    println!("cargo:rerun-if-changed=linker.ld");
    for arg in [
        format!("-T{dir}/linker.ld"),
        "-nostdlib".into(),
        "-nostartfiles".into(),
        "-static".into(),
        "-no-pie".into(),
        "-Wl,--build-id=none".into(),
        "-Wl,--gc-sections".into(),
        "-Wl,-z,noexecstack".into(),
    ] {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
}
