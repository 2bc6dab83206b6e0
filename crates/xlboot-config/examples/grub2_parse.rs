//! Parses GRUB 2 scripts with xlboot's lexer and parser and prints, per file, `ok` or
//! the syntax error: for comparing with GRUB's own `grub-script-check`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use xlboot_config::grub2::lexer::tokenize;
use xlboot_config::grub2::parser::Parser;

fn main() {
    for path in std::env::args().skip(1) {
        let src = std::fs::read(&path).expect("readable file");
        let src: Vec<u8> = src.into_iter().filter(|&b| b != b'\r').collect();
        let verdict = match tokenize(&src, 1, src.len() + 16) {
            Err(e) => format!("error:{}: {}", e.line, e.message),
            Ok(toks) => match Parser::new(&src, toks, 64).script() {
                Ok(_) => String::from("ok"),
                Err(e) => format!("error:{}: {}", e.line, e.message),
            },
        };
        println!("{path}\t{verdict}");
    }
}
