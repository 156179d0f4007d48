//! Text from files and servers made safe to print: control characters go and long values are cut.
//!
//! A manifest field, a Tableau name or a server's reply can hold anything: terminal escape
//! sequences that repaint a terminal, or two megabytes that bury the message they sit in. Every
//! value copied from outside into an error message or a log line goes through [`printable`].

use std::fmt::Write;

/// How many characters of an outside value a message shows before it cuts the rest.
pub const SHOWN_CHARS: usize = 200;

/// `text` without control characters (escape sequences, bells, carriage returns; a newline or
/// tab becomes a space), cut after [`SHOWN_CHARS`] characters with a note of how long it was.
///
/// ```
/// use autoexpose_domain::printable::printable;
/// assert_eq!(printable("Sales\u{1b}[2J"), "Sales[2J");
/// assert!(printable(&"x".repeat(5000)).ends_with("… (5000 bytes in all)"));
/// ```
pub fn printable(text: &str) -> String {
    printable_within(text, SHOWN_CHARS)
}

/// [`printable`] with a limit of `max_chars` characters.
pub fn printable_within(text: &str, max_chars: usize) -> String {
    let mut shown = String::with_capacity(text.len().min(max_chars.saturating_add(32)));
    for (count, ch) in text.chars().enumerate() {
        if count == max_chars {
            // Writing to a String cannot fail.
            let _ = write!(shown, "… ({} bytes in all)", text.len());
            return shown;
        }
        match ch {
            '\n' | '\t' => shown.push(' '),
            ch if ch.is_control() || is_invisible_format(ch) => {}
            ch => shown.push(ch),
        }
    }
    shown
}

/// Characters that are not control characters but reorder or hide text on a terminal
/// (bidirectional overrides, as in "Trojan Source").
fn is_invisible_format(ch: char) -> bool {
    matches!(ch, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}'..='\u{200f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escape_sequences_lose_their_escape() {
        assert_eq!(printable("\u{1b}]0;owned\u{7}Sales"), "]0;ownedSales");
        assert_eq!(printable("a\u{9b}31mb"), "a31mb");
    }

    #[test]
    fn line_breaks_become_spaces_so_one_value_stays_on_one_line() {
        assert_eq!(printable("two\nlines\r\n"), "two lines ");
    }

    #[test]
    fn a_long_value_is_cut_and_says_how_long_it_was() {
        let long = "é".repeat(300);
        let shown = printable(&long);
        assert!(shown.starts_with(&"é".repeat(SHOWN_CHARS)));
        assert!(shown.ends_with("… (600 bytes in all)"), "{shown}");
    }

    #[test]
    fn ordinary_text_is_unchanged() {
        assert_eq!(printable("Finance/Sales — Q3 ß"), "Finance/Sales — Q3 ß");
    }

    #[test]
    fn bidirectional_overrides_are_dropped() {
        assert_eq!(printable("abc\u{202e}fed"), "abcfed");
    }
}
