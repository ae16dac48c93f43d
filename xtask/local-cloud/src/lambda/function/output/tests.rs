use super::*;
use crate::lambda::bus::{Bus, Heard};

const HEAD: &[u8] = b"\x1eabc ";

fn printed(text: &[u8]) -> Piece {
    Piece::Printed(text.to_vec())
}

#[test]
fn marks_leave_the_output_as_printed() {
    let (pieces, used) = take_marks(b"one\ntw\x1eabc 7\x1eo\n", HEAD);
    assert_eq!(
        pieces,
        [printed(b"one\ntw"), Piece::Mark(7), printed(b"o\n")]
    );
    assert_eq!(used, 15);
}

#[test]
fn a_mark_cut_by_a_read_waits_for_the_rest() {
    let (pieces, used) = take_marks(b"line\n\x1eab", HEAD);
    assert_eq!((pieces, used), (vec![printed(b"line\n")], 5));
    let (pieces, used) = take_marks(b"x\x1eabc 12", HEAD);
    assert_eq!((pieces, used), (vec![printed(b"x")], 1));
}

#[test]
fn what_only_looks_like_a_mark_is_output() {
    let text = b"\x1eab\x1e and \x1eabc 123456789012345678901234567890\n";
    let (pieces, used) = take_marks(text, HEAD);
    assert_eq!((pieces, used), (vec![printed(text)], text.len()));
}

/// A pipe with its reader into a fresh log told on a bus, and what the bus heard.
fn piped(name: &str) -> (Piped, PipeWriter, PathBuf, Arc<Heard>) {
    let dir = std::env::temp_dir().join(format!("local-cloud-output-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.log"));
    let _ = std::fs::remove_file(&path);
    let (bus, heard) = (Bus::new(), Arc::new(Heard::default()));
    bus.subscribe(heard.clone());
    let piped = Piped::start(FunctionLog::new("f", path.clone(), Some(bus))).unwrap();
    let out = piped.writer.lock().unwrap().try_clone().unwrap();
    (piped, out, path, heard)
}

#[test]
fn everything_printed_before_a_sync_is_in_the_log_after_it() {
    let (piped, mut out, path, heard) = piped("sync");
    for n in 0..1000 {
        writeln!(out, "line {n}").unwrap();
    }
    write!(out, "no end").unwrap();
    piped.sync();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("line 0\n"), "{text:?}");
    // A line left unended is ended at the invocation's end, as CloudWatch does.
    assert!(text.ends_with("line 999\nno end\n"), "{text:?}");
    let heard = heard.0.lock().unwrap();
    assert_eq!(heard.len(), 1001);
    assert_eq!(heard.last().map(String::as_str), Some("log f: no end"));
}

#[test]
fn a_line_cut_by_a_stopped_process_is_not_glued_to_the_next_ones() {
    let (piped, mut out, path, heard) = piped("restart");
    write!(out, "half").unwrap();
    piped.sync();
    // What the local cloud says then, and a new process's first line.
    FunctionLog::new("f", path.clone(), None).note("starting it again");
    writeln!(out, "fresh").unwrap();
    piped.sync();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, "half\n[xtask] starting it again\nfresh\n");
    assert_eq!(*heard.0.lock().unwrap(), ["log f: half", "log f: fresh"]);
}

#[test]
fn output_ending_in_what_starts_a_mark_is_kept_at_the_end() {
    let (piped, mut out, path, _) = piped("eof");
    write!(out, "record\x1e").unwrap();
    drop(out);
    let Piped { writer, passed, .. } = piped;
    drop(writer);
    let (state, moved) = &*passed;
    let mut ended = state.lock().unwrap();
    for _ in 0..10 {
        if ended.ended {
            break;
        }
        ended = moved.wait_timeout(ended, SYNC_WAIT).unwrap().0;
    }
    assert!(ended.ended, "the reader ends with its last writer");
    assert_eq!(std::fs::read(&path).unwrap(), b"record\x1e\n");
}
