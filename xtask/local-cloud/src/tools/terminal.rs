//! What reaches the learner's terminal from a function, a client or a file is shown, never
//! obeyed: escape sequences (a title set, the screen cleared), other control characters and
//! the characters that reorder text (bidirectional overrides, which can make a line read
//! other than it is) are written out as `\u{1b}`; tabs stay.

use std::borrow::Cow;

/// `text` with every character a terminal would act on written out.
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(acted_on) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if acted_on(c) {
            shown.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            shown.push(c);
        }
    }
    Cow::Owned(shown)
}

/// Control characters (C0, DEL, C1) but the tab, and the bidirectional formatting characters.
fn acted_on(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::safe;

    #[test]
    fn escapes_and_reordering_are_written_out() {
        assert_eq!(safe("plain\ttext é"), "plain\ttext é");
        assert_eq!(
            safe("a\u{1b}]0;pwned\u{7}\u{1b}[2Jb"),
            "a\\u{1b}]0;pwned\\u{7}\\u{1b}[2Jb"
        );
        assert_eq!(safe("id \u{202e}gnp.exe"), "id \\u{202e}gnp.exe");
        assert_eq!(safe("c1 \u{9b}31m"), "c1 \\u{9b}31m");
        assert_eq!(safe("cr\rlf\n"), "cr\\u{d}lf\\u{a}");
    }
}
