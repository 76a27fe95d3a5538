//! Fuzzes the validation of untrusted event payloads: whatever a client sends, every parser
//! (`Request::parse` under each event name, and the `parse_*`/`clean_*` functions beneath it)
//! keeps the invariants in `lanchat::protocol::invariants` — never a panic, every accepted
//! request clean and idempotent, every refusal a validation code with a sentence. The same
//! checks run deterministically in `tests/hostile_parser.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| lanchat::protocol::invariants::check_bytes(data));
