//! Text every grub-mkconfig writes into `/etc/grub.d/00_header` (GRUB 2.04 to 2.12,
//! on Debian, Ubuntu, Arch and openSUSE alike), for the tests that rebuild a
//! distribution's grub.cfg around it. Plain text only, so that the tests of other
//! crates can include this file too.
#![allow(dead_code)]

/// The `next_entry` one-shot default (`grub-reboot`), `menuentry_id_option`, the
/// `prev_saved_entry` migration and `function savedefault`; `default` is what
/// `set default=` gets when no `next_entry` is set (`0`, `${saved_entry}`, ...).
pub fn next_entry_and_savedefault(default: &str) -> String {
    format!(
        r#"if [ "${{next_entry}}" ] ; then
   set default="${{next_entry}}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="{default}"
fi

if [ x"${{feature_menuentry_id}}" = xy ]; then
  menuentry_id_option="--id"
else
  menuentry_id_option=""
fi

export menuentry_id_option

if [ "${{prev_saved_entry}}" ]; then
  set saved_entry="${{prev_saved_entry}}"
  save_env saved_entry
  set prev_saved_entry=
  save_env prev_saved_entry
  set boot_once=true
fi

function savedefault {{
  if [ -z "${{boot_once}}" ]; then
    saved_entry="${{chosen}}"
    save_env saved_entry
  fi
}}"#
    )
}

/// `function load_video`.
pub const LOAD_VIDEO: &str = r#"function load_video {
  if [ x$feature_all_video_module = xy ]; then
    insmod all_video
  else
    insmod efi_gop
    insmod efi_uga
    insmod ieee1275_fb
    insmod vbe
    insmod vga
    insmod video_bochs
    insmod video_cirrus
  fi
}"#;

/// The font choice after it: `search` (the commands that find the font's volume)
/// and the font file's path.
pub fn font(search: &str, font: &str) -> String {
    format!(
        r#"if [ x$feature_default_font_path = xy ] ; then
   font=unicode
else
{search}
    font="{font}"
fi

if loadfont $font ; then
  set gfxmode=auto
  load_video
  insmod gfxterm
  set locale_dir=$prefix/locale
  set lang=en_US
  insmod gettext
fi"#
    )
}
