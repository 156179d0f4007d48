//! Reading a manifest from a reader in bounded memory ([`Manifest::from_reader`]).
//!
//! The document is read in the pieces the one-pass reader reads anyway: the top-level
//! blocks, and the entries of the blocks that are maps (`nodes`, `sources`, `parent_map`,
//! `macros`, ...). Each piece is parsed with serde_json from a window of the input held in
//! a buffer as text (checked as UTF-8 once, as it is read, so serde_json reads it as
//! `from_str` does, without checking each string again), by the very types
//! [`Manifest::from_slice`] uses, and dropped: memory is one buffer (a few MiB, or the
//! largest single entry when one is larger) and what is kept of the manifest, whatever the
//! file's size.
//!
//! An entry's value that lies whole in the window is parsed where it lies, serde_json
//! finding its end; only the rest (a value the window ends inside, a key, a block that is
//! not a map, and any value serde_json refuses) is first cut, by a scan for quotes,
//! backslashes and brackets, and then parsed from its span. Either way serde_json parses
//! every byte of every piece, and an error is always the span's, so what is accepted and
//! what is refused is what `from_slice` accepts and refuses, errors naming the same kind of
//! problem at the same line and column. One difference is known: serde_json's nesting
//! limit (128) counts from the piece here, not from the document, so a model `version` or
//! an owner `email` nested over 124 levels deep is refused as not of the expected shape
//! instead of as too deep.

use std::borrow::Cow;
use std::io::Read;

use serde::Deserialize;
use serde::de::{DeserializeSeed, IgnoredAny};

use super::{
    ExposureList, Key, Manifest, ManualExposure, NodeRelations, Object, ParentList, ParentMap,
    Parts, RawExposure, RawMetadata, RawNode, RawSource, Relation, SourceRelations,
};
use crate::dag::{Dag, IdLists, TestTargets, is_lineage_node, is_test};
use crate::error::ManifestError;
use crate::printable::printable;

/// How much is read from the reader at a time (the window grows past it only for a
/// piece that is larger).
const CHUNK: usize = 1024 * 1024;
/// How much is read first.
const FIRST_CHUNK: usize = 64 * 1024;

/// Reads a whole manifest from `reader`, piece by piece.
pub(super) fn read(reader: impl Read) -> Result<Manifest, ManifestError> {
    let mut input = Input::new(reader);
    match input.document() {
        Ok(parts) => Manifest::from_parts(parts),
        Err(error @ (ManifestError::NotUtf8 { .. } | ManifestError::Io(_))) => Err(error),
        Err(error) => {
            // `from_slice` checks the whole text before it parses any of it: a byte that
            // is not UTF-8 after the first error is the error it reports.
            input.check_rest()?;
            if input.blank_so_far {
                return Err(ManifestError::Empty);
            }
            Err(error)
        }
    }
}

/// Appends `text` to `window`, growing it to no more than it then holds: a doubled
/// capacity would be memory the limit counts, never used.
fn push_exact(window: &mut String, text: &str) {
    window.reserve_exact(text.len());
    window.push_str(text);
}

/// How many bytes of `bytes` the number or literal at its start covers, as serde_json
/// reads it (greedily, by JSON's grammar; where the grammar breaks, serde_json reports it
/// from the piece); `None` when `bytes` ends before it is known.
fn scalar_len(bytes: &[u8]) -> Option<usize> {
    let literal = match bytes.first()? {
        b't' | b'n' => Some(4),
        b'f' => Some(5),
        b'-' | b'0'..=b'9' => None,
        _ => Some(1),
    };
    if let Some(len) = literal {
        return (bytes.len() >= len).then_some(len);
    }
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .position(|b| !b.is_ascii_digit())
            .map(|n| from + n)
    };
    let mut at = digits(usize::from(bytes[0] == b'-'))?;
    if bytes[at] == b'.' {
        at = digits(at + 1)?;
    }
    if matches!(bytes[at], b'e' | b'E') {
        at += 1;
        if matches!(bytes.get(at)?, b'+' | b'-') {
            at += 1;
        }
        at = digits(at)?;
    }
    Some(at)
}

/// A piece of the input: absolute offsets of its first byte and just past its last, and
/// whether it is whole or the input ended inside it.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u64,
    end: u64,
    whole: bool,
}

/// Where the value of an entry is, for the closure that parses it: at `start`, to be
/// parsed in place from the window when it lies there whole (the common case, which
/// scans nothing), or as a span already cut by [`Input::value`].
struct ValueAt {
    start: u64,
    span: Option<Span>,
    /// Just past the value, once it was parsed in place.
    end: std::cell::Cell<Option<u64>>,
}

/// Why a closure given an entry stopped.
enum PieceError {
    /// The value could not be parsed in place (the window ends inside it, or it is not
    /// well formed): cut it and parse it again, for serde_json's own error if it has one.
    Again,
    /// The manifest is refused.
    Refused(ManifestError),
}

impl From<ManifestError> for PieceError {
    fn from(error: ManifestError) -> PieceError {
        PieceError::Refused(error)
    }
}

/// The input as a sliding window over the reader.
struct Input<R> {
    reader: R,
    /// The window: the text from `base` on that was read, checked as UTF-8, and not yet
    /// dropped. Text, so that serde_json reads each piece as `from_str` does, without
    /// checking each string again.
    text: String,
    /// Bytes read and not yet in `text`: `incoming[..pending]` is the start of a character
    /// the last read cut; the rest is room for the next read, zeroed once.
    incoming: Vec<u8>,
    pending: usize,
    /// Absolute offset of the window's first byte.
    base: u64,
    /// Absolute offset of the next byte to look at.
    pos: u64,
    /// Absolute offset before which bytes may be dropped.
    mark: u64,
    eof: bool,
    /// Newlines in the bytes dropped so far.
    dropped_lines: usize,
    /// Absolute offset where the line holding `base` starts.
    line_start: u64,
    /// Whether everything from the first byte not JSON whitespace on is Unicode
    /// whitespace, as far as [`Input::check_rest`] got: such a file is empty to
    /// `from_slice`.
    blank_so_far: bool,
    /// Where that first byte is, once found.
    first_token: Option<u64>,
}

impl<R: Read> Input<R> {
    fn new(reader: R) -> Input<R> {
        Input {
            reader,
            text: String::new(),
            incoming: Vec::new(),
            pending: 0,
            base: 0,
            pos: 0,
            mark: 0,
            eof: false,
            dropped_lines: 0,
            line_start: 0,
            blank_so_far: false,
            first_token: None,
        }
    }

    fn end(&self) -> u64 {
        self.base + self.text.len() as u64
    }

    fn window(&self) -> &[u8] {
        self.text.as_bytes()
    }

    fn index(&self, offset: u64) -> usize {
        (offset - self.base) as usize
    }

    fn bytes(&self, span: Span) -> &[u8] {
        &self.window()[self.index(span.start)..self.index(span.end)]
    }

    /// Reads more of the input after dropping what lies before the mark; false at the end.
    fn fill(&mut self) -> Result<bool, ManifestError> {
        if self.eof {
            return Ok(false);
        }
        let mut drop = self.index(self.mark);
        // The mark is at a token or at the end of the text; never inside a character.
        while !self.text.is_char_boundary(drop) {
            drop -= 1;
        }
        if drop > 0 {
            let dropped = &self.text.as_bytes()[..drop];
            self.dropped_lines += memchr::memchr_iter(b'\n', dropped).count();
            if let Some(newline) = memchr::memrchr(b'\n', dropped) {
                self.line_start = self.base + newline as u64 + 1;
            }
            self.text.drain(..drop);
            self.base += drop as u64;
        }
        // Room for the next read: from 64 KiB, doubling up to a chunk, so small inputs
        // stay small and large ones are read in few calls.
        let room = (self.incoming.len() * 2).clamp(FIRST_CHUNK, CHUNK);
        if self.incoming.len() < room {
            self.incoming.resize(room, 0);
        }
        let read = loop {
            match self.reader.read(&mut self.incoming[self.pending..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ManifestError::Io(e.to_string())),
            }
        };
        self.eof = read == 0;
        self.take_text(self.pending + read)?;
        Ok(!self.eof)
    }

    /// Moves the UTF-8 text at the start of `incoming[..len]` into the window; a character
    /// cut by the end of the read waits for the next one.
    fn take_text(&mut self, len: usize) -> Result<(), ManifestError> {
        let fresh = &self.incoming[..len];
        let taken = match simdutf8::compat::from_utf8(fresh) {
            Ok(text) => {
                push_exact(&mut self.text, text);
                len
            }
            Err(e) if e.error_len().is_none() && !self.eof => {
                let valid = e.valid_up_to();
                match std::str::from_utf8(&fresh[..valid]) {
                    Ok(text) => push_exact(&mut self.text, text),
                    Err(_) => unreachable!("the bytes before valid_up_to are UTF-8"),
                }
                valid
            }
            Err(e) => {
                return Err(ManifestError::NotUtf8 {
                    offset: (self.end() + e.valid_up_to() as u64) as usize,
                });
            }
        };
        self.incoming.copy_within(taken..len, 0);
        self.pending = len - taken;
        Ok(())
    }

    /// Reads the rest of the input after an error: is it UTF-8, and is the whole file
    /// blank (see [`Input::blank_so_far`])?
    fn check_rest(&mut self) -> Result<(), ManifestError> {
        let mut from = self.first_token;
        self.blank_so_far = from.is_some();
        loop {
            if let Some(start) = from {
                let text = self
                    .text
                    .get(self.index(start.max(self.base))..)
                    .unwrap_or_default();
                self.blank_so_far &= text.chars().all(char::is_whitespace);
                from = Some(self.end());
            }
            self.mark = self.end();
            if !self.fill()? {
                return Ok(());
            }
        }
    }

    /// Line and column of an offset as serde_json counts them (the column is the number
    /// of bytes since the line began).
    fn position(&self, offset: u64) -> (usize, usize) {
        let i = self.index(offset);
        match memchr::memrchr(b'\n', &self.window()[..i]) {
            Some(newline) => {
                let lines = memchr::memchr_iter(b'\n', &self.window()[..newline]).count();
                (self.dropped_lines + lines + 2, i - newline - 1)
            }
            None => (self.dropped_lines + 1, (offset - self.line_start) as usize),
        }
    }

    /// An error serde_json reports when it peeks at the byte at `offset` (or at the end).
    fn peek_error(&self, offset: u64, what: &str) -> ManifestError {
        let (line, column) = self.position((offset + 1).min(self.end()));
        if self.eof && offset >= self.end() {
            return ManifestError::Truncated { line, column };
        }
        ManifestError::NotJson(format!("{what} at line {line} column {column}"))
    }

    /// serde_json's error about a piece that starts at `start`, at its place in the file.
    fn piece_error(&self, error: serde_json::Error, start: u64) -> ManifestError {
        use serde_json::error::Category;
        let (line, column) = if error.line() == 0 {
            (0, 0)
        } else {
            let (first_line, first_column) = self.position(start);
            match error.line() {
                1 => (first_line, first_column + error.column()),
                n => (first_line + n - 1, error.column()),
            }
        };
        let message = error.to_string();
        let suffix = format!(" at line {} column {}", error.line(), error.column());
        let what = match message.strip_suffix(&suffix) {
            Some(what) if error.line() > 0 => {
                format!("{} at line {line} column {column}", printable(what))
            }
            _ => printable(&message),
        };
        match error.classify() {
            Category::Eof => ManifestError::Truncated { line, column },
            Category::Syntax => ManifestError::NotJson(what),
            Category::Data => ManifestError::Shape(what),
            Category::Io => ManifestError::Io(what),
        }
    }

    /// Parses a piece with serde_json (not asking for the end of the input after it).
    fn parse<'b, T: Deserialize<'b>>(&'b self, span: Span) -> Result<T, ManifestError> {
        self.parse_seed(span, std::marker::PhantomData)
    }

    fn parse_seed<'b, S: DeserializeSeed<'b>>(
        &'b self,
        span: Span,
        seed: S,
    ) -> Result<S::Value, ManifestError> {
        // As text, as `from_slice` reads the whole: serde_json places some errors one
        // byte apart reading text and reading bytes. Every piece is UTF-8, checked as it
        // was read, and starts at a character's boundary; one that ends a byte past a
        // number may end inside a character, and is read as bytes.
        let text = self.text.get(self.index(span.start)..self.index(span.end));
        let result = match text {
            Some(text) => seed.deserialize(&mut serde_json::Deserializer::from_str(text)),
            None => seed.deserialize(&mut serde_json::Deserializer::from_slice(self.bytes(span))),
        };
        let value = result.map_err(|e| self.piece_error(e, span.start))?;
        if !span.whole {
            return Err(self.peek_error(span.end, "EOF while parsing a value"));
        }
        Ok(value)
    }

    /// Parses the value of an entry: from its span when it was cut, else in place, where
    /// serde_json stops at its end by itself. In place, any error is
    /// [`PieceError::Again`]: the value is then cut and parsed from its span, so that what
    /// is accepted and every error are those of the span, and only their cost differs.
    fn parse_value<'b, T: Deserialize<'b>>(&'b self, value: &ValueAt) -> Result<T, PieceError> {
        if let Some(span) = value.span {
            return Ok(self.parse(span)?);
        }
        let Some(text) = self.text.get(self.index(value.start)..) else {
            return Err(PieceError::Again);
        };
        // Only for values that end themselves (objects, arrays, strings): a number at the
        // end of the window may go on in the next read.
        let mut values = serde_json::Deserializer::from_str(text).into_iter::<T>();
        match values.next() {
            Some(Ok(parsed)) => {
                value
                    .end
                    .set(Some(value.start + values.byte_offset() as u64));
                Ok(parsed)
            }
            _ => Err(PieceError::Again),
        }
    }

    /// The byte at `pos` after JSON whitespace, reading more as needed; `None` at the end.
    fn peek(&mut self) -> Result<Option<u8>, ManifestError> {
        loop {
            let mut i = self.index(self.pos);
            let window = self.window();
            while i < window.len() {
                match window[i] {
                    b' ' | b'\n' | b'\t' | b'\r' => i += 1,
                    byte => {
                        self.pos = self.base + i as u64;
                        return Ok(Some(byte));
                    }
                }
            }
            self.pos = self.end();
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Finds the end of the value at `pos` (which is not whitespace) and moves past it.
    /// The span holds one byte more than a number or a literal, when there is one, so
    /// that serde_json sees where it ends; a value the input ends in is given whole, and
    /// its error is serde_json's.
    fn value(&mut self) -> Result<Span, ManifestError> {
        let start = self.pos;
        let mut at = start;
        let mut depth = 0usize;
        let mut in_string = false;
        let first = self.window()[self.index(start)];
        let scalar = !matches!(first, b'{' | b'[' | b'"');
        loop {
            let end = self.end();
            if at >= end {
                if self.fill()? {
                    continue;
                }
                if scalar {
                    // A number or a literal may end the input; what follows decides.
                    self.pos = self.end();
                    return Ok(Span {
                        start,
                        end: self.pos,
                        whole: true,
                    });
                }
                // The input ends inside the value: serde_json says where, and how, as it
                // reads it as far as it goes.
                return Ok(Span {
                    start,
                    end: self.end(),
                    whole: false,
                });
            }
            let i = self.index(at);
            if scalar {
                let from = self.index(start);
                match scalar_len(&self.window()[from..]) {
                    Some(len) => {
                        self.pos = start + len as u64;
                        return Ok(Span {
                            start,
                            end: (self.pos + 1).min(self.end()),
                            whole: true,
                        });
                    }
                    None => at = end,
                }
            } else if in_string {
                match memchr::memchr2(b'"', b'\\', &self.window()[i..]) {
                    None => at = end,
                    // serde_json reads the four bytes after `\u` as hex digits, quotes
                    // or not: the piece must hold them, for its error to be the one
                    // `from_slice` reports (`"\u"x` is an invalid escape, not truncated).
                    Some(k) if self.window()[i + k] == b'\\' => {
                        match self.window().get(i + k + 1) {
                            Some(b'u') => at += k as u64 + 6,
                            Some(_) => at += k as u64 + 2,
                            None => {
                                at += k as u64;
                                if !self.fill()? {
                                    return Ok(Span {
                                        start,
                                        end: self.end(),
                                        whole: false,
                                    });
                                }
                            }
                        }
                    }
                    Some(k) => {
                        in_string = false;
                        at += k as u64 + 1;
                        if depth == 0 {
                            self.pos = at;
                            return Ok(Span {
                                start,
                                end: at,
                                whole: true,
                            });
                        }
                    }
                }
            } else {
                let mut j = i;
                let bytes = self.window();
                while j < bytes.len() {
                    let byte = bytes[j];
                    j += 1;
                    match byte {
                        b'"' => {
                            in_string = true;
                            break;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                self.pos = self.base + j as u64;
                                return Ok(Span {
                                    start,
                                    end: self.pos,
                                    whole: true,
                                });
                            }
                        }
                        _ => {}
                    }
                }
                at = self.base + j as u64;
            }
        }
    }

    /// Steps to the next key of the object being read, as serde_json's map access does
    /// (or, when `ignored`, as it skips an object nobody reads, which calls a trailing
    /// comma a key that is not a string): its span, with `pos` just past it (see
    /// [`Input::colon`]); `None` after the closing brace.
    fn next_key(&mut self, first: &mut bool, ignored: bool) -> Result<Option<Span>, ManifestError> {
        self.mark = self.pos;
        let mut peek = self.peek()?;
        match peek {
            Some(b'}') => {
                self.pos += 1;
                return Ok(None);
            }
            Some(b',') if !*first => {
                self.pos += 1;
                peek = self.peek()?;
            }
            Some(_) if *first => *first = false,
            Some(_) => return Err(self.peek_error(self.pos, "expected `,` or `}`")),
            None => return Err(self.peek_error(self.pos, "EOF while parsing an object")),
        }
        let key = match peek {
            Some(b'"') => {
                // Checked before the colon, as serde_json reads the key first.
                let key = self.value()?;
                match ignored {
                    true => self.parse::<IgnoredAny>(key).map(drop)?,
                    false => self.parse::<Cow<'_, str>>(key).map(drop)?,
                }
                key
            }
            Some(b'}') if !ignored => return Err(self.peek_error(self.pos, "trailing comma")),
            Some(_) => return Err(self.peek_error(self.pos, "key must be a string")),
            None => return Err(self.peek_error(self.pos, "EOF while parsing a value")),
        };
        Ok(Some(key))
    }

    /// Steps over the colon after a key, to the first byte of its value. Apart from
    /// [`Input::next_key`] because serde_json reads the colon only when the value is
    /// asked for: a field given twice is refused before a missing colon is.
    fn colon(&mut self) -> Result<(), ManifestError> {
        match self.peek()? {
            Some(b':') => self.pos += 1,
            Some(_) => return Err(self.peek_error(self.pos, "expected `:`")),
            None => return Err(self.peek_error(self.pos, "EOF while parsing an object")),
        }
        if self.peek()?.is_none() {
            return Err(self.peek_error(self.pos, "EOF while parsing a value"));
        }
        Ok(())
    }

    /// Calls `each` with the key and the value of every entry of the object at `pos`. An
    /// object, array or string value is first offered to `each` where it lies in the
    /// window, uncut; when `each` answers [`PieceError::Again`] (having kept nothing), the
    /// value is cut and offered again as a span.
    fn entries(
        &mut self,
        ignored: bool,
        mut each: impl FnMut(&Self, Span, &ValueAt) -> Result<(), PieceError>,
    ) -> Result<(), ManifestError> {
        self.pos += 1;
        let mut first = true;
        while let Some(key) = self.next_key(&mut first, ignored)? {
            self.colon()?;
            let start = self.pos;
            if matches!(self.window()[self.index(start)], b'{' | b'[' | b'"') {
                let value = ValueAt {
                    start,
                    span: None,
                    end: std::cell::Cell::new(None),
                };
                match each(self, key, &value) {
                    Ok(()) => {
                        match value.end.get() {
                            Some(end) => self.pos = end,
                            // Not parsed by `each`: step over it.
                            None => drop(self.value()?),
                        }
                        continue;
                    }
                    Err(PieceError::Refused(error)) => return Err(error),
                    Err(PieceError::Again) => {}
                }
            }
            let span = self.value()?;
            let value = ValueAt {
                start,
                span: Some(span),
                end: std::cell::Cell::new(None),
            };
            match each(self, key, &value) {
                Ok(()) => {}
                Err(PieceError::Refused(error)) => return Err(error),
                Err(PieceError::Again) => unreachable!("a cut value is parsed from its span"),
            }
        }
        Ok(())
    }

    /// Whether the value at `pos` is an object (read entry by entry) or not (read whole).
    fn at_object(&mut self) -> Result<bool, ManifestError> {
        Ok(self.peek()? == Some(b'{'))
    }

    fn document(&mut self) -> Result<Parts<'static>, ManifestError> {
        match self.peek()? {
            None => return Err(ManifestError::Empty),
            Some(b'{') => {}
            Some(_) => {
                self.first_token = Some(self.pos);
                self.mark = self.pos;
                let span = self.value()?;
                self.parse::<Object<IgnoredAny>>(span)?;
                return Err(self.peek_error(span.start, "expected an object"));
            }
        }
        self.pos += 1;
        let mut parts = Parts::default();
        let mut first = true;
        while let Some(key) = self.next_key(&mut first, false)? {
            let name = self.parse::<Cow<'_, str>>(key)?.into_owned();
            let seen = match name.as_str() {
                "metadata" => parts.metadata.is_some(),
                "nodes" => parts.nodes.is_some(),
                "sources" => parts.sources.is_some(),
                "exposures" => parts.exposures.is_some(),
                "parent_map" => parts.parent_map.is_some(),
                _ => false,
            };
            self.once(seen, &name)?;
            self.colon()?;
            match name.as_str() {
                "metadata" => {
                    let span = self.value()?;
                    let metadata: Option<Object<RawMetadata<'_>>> = self.parse(span)?;
                    parts.metadata = Some(metadata.map(|Object(m)| m.into_owned()));
                }
                "nodes" => {
                    parts.nodes = Some(self.nodes()?);
                }
                "sources" => {
                    parts.sources = Some(self.sources()?);
                }
                "exposures" => {
                    parts.exposures = Some(self.exposures()?);
                }
                "parent_map" => {
                    parts.parent_map = Some(self.parent_map()?);
                }
                _ => self.skip()?,
            }
        }
        if self.peek()?.is_some() {
            return Err(self.peek_error(self.pos, "trailing characters"));
        }
        Ok(parts)
    }

    /// serde's error for a field the manifest has twice, placed where serde_json places
    /// it: past the whitespace after the key, which it skips looking for the object's end
    /// as the error unwinds.
    fn once(&mut self, seen: bool, name: &str) -> Result<(), ManifestError> {
        if !seen {
            return Ok(());
        }
        self.peek()?;
        let (line, column) = self.position(self.pos);
        Err(ManifestError::Shape(format!(
            "duplicate field `{name}` at line {line} column {column}"
        )))
    }

    fn nodes(&mut self) -> Result<Option<Vec<Relation>>, ManifestError> {
        if !self.at_object()? {
            let span = self.value()?;
            return Ok(self.parse::<Option<NodeRelations>>(span)?.map(|n| n.0));
        }
        let mut out = Vec::new();
        self.entries(false, |input, key, value| {
            let Key(id) = input.parse(key)?;
            let node: Option<Object<RawNode<'_>>> = input.parse_value(value)?;
            out.extend(node.and_then(|Object(raw)| raw.into_relation(&id)));
            Ok(())
        })?;
        Ok(Some(out))
    }

    fn sources(&mut self) -> Result<Option<Vec<Relation>>, ManifestError> {
        if !self.at_object()? {
            let span = self.value()?;
            return Ok(self.parse::<Option<SourceRelations>>(span)?.map(|s| s.0));
        }
        let mut out = Vec::new();
        self.entries(false, |input, key, value| {
            let Key(id) = input.parse(key)?;
            let source: Option<Object<RawSource<'_>>> = input.parse_value(value)?;
            out.extend(source.and_then(|Object(raw)| raw.into_relation(&id)));
            Ok(())
        })?;
        Ok(Some(out))
    }

    fn exposures(&mut self) -> Result<Option<Vec<ManualExposure>>, ManifestError> {
        if !self.at_object()? {
            let span = self.value()?;
            return Ok(self.parse::<Option<ExposureList>>(span)?.map(|e| e.0));
        }
        let mut out = Vec::new();
        self.entries(false, |input, key, value| {
            let Key(id) = input.parse(key)?;
            let exposure: Option<Object<RawExposure<'_>>> = input.parse_value(value)?;
            out.extend(exposure.map(|Object(raw)| raw.into_manual(&id)));
            Ok(())
        })?;
        Ok(Some(out))
    }

    fn parent_map(&mut self) -> Result<Option<ParentMap>, ManifestError> {
        if !self.at_object()? {
            let span = self.value()?;
            return self.parse::<Option<ParentMap>>(span);
        }
        let mut lineage = IdLists::default();
        let mut tests = IdLists::default();
        self.entries(false, |input, key, value| {
            let Key(id) = input.parse(key)?;
            let (lists, keep): (&mut IdLists, fn(&str) -> bool) = if is_lineage_node(&id) {
                (&mut lineage, is_lineage_node)
            } else if is_test(&id) {
                (&mut tests, |_| true)
            } else {
                input.parse_value::<IgnoredAny>(value)?;
                return Ok(());
            };
            let start = lists.open();
            match value.span {
                // In place, the list is read whole first, so that a value parsed again
                // from its span has added nothing.
                None => {
                    let parents: Option<Vec<Key<'_>>> = input.parse_value(value)?;
                    for Key(parent) in parents.into_iter().flatten() {
                        if keep(&parent) {
                            lists.add(&parent);
                        }
                    }
                }
                Some(span) => input.parse_seed(
                    span,
                    ParentList {
                        lists: &mut *lists,
                        keep,
                    },
                )?,
            }
            lists.close(&id, start);
            Ok(())
        })?;
        Ok(Some(ParentMap {
            dag: Dag::from_lists(lineage),
            tests: TestTargets::from_lists(tests),
        }))
    }

    /// A block autoexpose does not read: checked as JSON, entry by entry when it is an
    /// object, and dropped.
    fn skip(&mut self) -> Result<(), ManifestError> {
        if !self.at_object()? {
            let span = self.value()?;
            self.parse::<IgnoredAny>(span)?;
            return Ok(());
        }
        self.entries(true, |input, key, value| {
            input.parse::<IgnoredAny>(key)?;
            input.parse_value::<IgnoredAny>(value)?;
            Ok(())
        })
    }
}
