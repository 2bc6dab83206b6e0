//! A small ELF reader of our own: the file header, program and section headers and
//! notes, in both classes and byte orders, and nothing else. Every table is bounded
//! by its 16-bit count and checked against the file before it is read.

pub mod header;
pub mod note;
pub mod program;
pub mod section;
