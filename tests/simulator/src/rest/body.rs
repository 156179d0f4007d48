//! Tableau's REST response bodies: one element tree rendered as XML or as JSON.
//!
//! JSON follows Tableau's mapping: attributes become string properties, a child element
//! becomes a nested object, a plural wrapper holds an array under the singular name, and an
//! empty wrapper is `{}`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// The response format a request asked for with `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Xml,
    Json,
}

impl Format {
    pub(crate) fn from_headers(headers: &HeaderMap) -> Format {
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if accept.to_ascii_lowercase().contains("application/json") {
            Format::Json
        } else {
            Format::Xml
        }
    }
}

/// One element of a `tsResponse`.
#[derive(Debug, Clone)]
pub(crate) struct El {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<El>,
    text: Option<String>,
    list: bool,
    /// A list rendered in JSON as a bare array (`"items": [...]`), as the newer
    /// version-less endpoints send lists.
    bare: bool,
}

impl El {
    pub(crate) fn new(name: &str) -> El {
        El {
            name: name.to_string(),
            attrs: Vec::new(),
            children: Vec::new(),
            text: None,
            list: false,
            bare: false,
        }
    }

    /// A plural wrapper (`<projects>`), rendered in JSON as `{"project": [...]}` or `{}`.
    pub(crate) fn list(name: &str, items: Vec<El>) -> El {
        El {
            children: items,
            list: true,
            ..El::new(name)
        }
    }

    /// A plural wrapper rendered in JSON as a bare array: `[...]`.
    pub(crate) fn array(name: &str, items: Vec<El>) -> El {
        El {
            bare: true,
            ..El::list(name, items)
        }
    }

    /// An element holding only text (`<summary>`), rendered in JSON as a string.
    pub(crate) fn text(name: &str, text: &str) -> El {
        El {
            text: Some(text.to_string()),
            ..El::new(name)
        }
    }

    pub(crate) fn attr(mut self, key: &str, value: impl ToString) -> El {
        self.attrs.push((key.to_string(), value.to_string()));
        self
    }

    pub(crate) fn opt_attr(self, key: &str, value: Option<impl ToString>) -> El {
        match value {
            Some(value) => self.attr(key, value),
            None => self,
        }
    }

    pub(crate) fn child(mut self, child: El) -> El {
        self.children.push(child);
        self
    }

    fn write_xml(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for (key, value) in &self.attrs {
            out.push(' ');
            out.push_str(key);
            out.push_str("=\"");
            escape_into(value, out);
            out.push('"');
        }
        if self.children.is_empty() && self.text.is_none() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        if let Some(text) = &self.text {
            escape_into(text, out);
        }
        for child in &self.children {
            child.write_xml(out);
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }

    fn to_json(&self) -> Value {
        if let Some(text) = &self.text {
            return Value::String(text.clone());
        }
        let mut map = Map::new();
        for (key, value) in &self.attrs {
            map.insert(key.clone(), Value::String(value.clone()));
        }
        if self.bare {
            return Value::Array(self.children.iter().map(El::to_json).collect());
        }
        if self.list {
            if let Some(first) = self.children.first() {
                let items = self.children.iter().map(El::to_json).collect();
                map.insert(first.name.clone(), Value::Array(items));
            }
            return Value::Object(map);
        }
        for child in &self.children {
            map.insert(child.name.clone(), child.to_json());
        }
        Value::Object(map)
    }
}

fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            _ => out.push(c),
        }
    }
}

/// A `tsResponse` with these children, in the asked-for format.
pub(crate) fn ts_response(status: StatusCode, format: Format, children: Vec<El>) -> Response {
    match format {
        Format::Xml => {
            let mut out = String::from(
                "<?xml version='1.0' encoding='UTF-8'?><tsResponse xmlns=\"http://tableau.com/api\" \
                 xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
                 xsi:schemaLocation=\"http://tableau.com/api https://help.tableau.com/samples/en-us/rest_api/ts-api_3_25.xsd\">",
            );
            for child in &children {
                child.write_xml(&mut out);
            }
            out.push_str("</tsResponse>");
            with_type(status, "application/xml;charset=utf-8", out)
        }
        Format::Json => {
            let mut map = Map::new();
            for child in &children {
                map.insert(child.name.clone(), child.to_json());
            }
            with_type(
                status,
                "application/json;charset=utf-8",
                Value::Object(map).to_string(),
            )
        }
    }
}

pub(crate) fn with_type(status: StatusCode, content_type: &'static str, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

/// A Tableau REST error: HTTP status plus `code`, `summary` and `detail`.
#[derive(Debug, Clone)]
pub(crate) struct RestError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) summary: &'static str,
    pub(crate) detail: String,
}

impl RestError {
    pub(crate) fn new(
        status: u16,
        code: &'static str,
        summary: &'static str,
        detail: impl Into<String>,
    ) -> RestError {
        RestError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            summary,
            detail: detail.into(),
        }
    }

    pub(crate) fn bad_request(detail: impl Into<String>) -> RestError {
        RestError::new(400, "400000", "Bad Request", detail)
    }

    pub(crate) fn not_found(code: &'static str, detail: impl Into<String>) -> RestError {
        RestError::new(404, code, "Resource Not Found", detail)
    }

    pub(crate) fn into_response(self, format: Format) -> Response {
        let error = El::new("error")
            .attr("code", self.code)
            .child(El::text("summary", self.summary))
            .child(El::text("detail", &self.detail));
        ts_response(self.status, format, vec![error])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_list_renders_as_empty_json_object() {
        let el = El::list("projects", Vec::new());
        assert_eq!(el.to_json(), serde_json::json!({}));
    }

    #[test]
    fn list_renders_items_under_singular_name_with_string_attributes() {
        let el = El::list("projects", vec![El::new("project").attr("n", 3)]);
        assert_eq!(el.to_json(), serde_json::json!({"project": [{"n": "3"}]}));
    }

    #[test]
    fn xml_attributes_are_escaped() {
        let mut out = String::new();
        El::new("a").attr("x", "<\"&'>").write_xml(&mut out);
        assert_eq!(out, "<a x=\"&lt;&quot;&amp;&apos;&gt;\"/>");
    }
}
