//! Just enough HTML reading for the fake browser: tags and their attributes, one form's hidden inputs
//! and submit buttons, the error paragraph, the visible text. Not a general HTML parser.

/// A form as a browser would submit it.
#[derive(Debug, Default, Clone)]
pub(super) struct Form {
    pub action: String,
    /// `(name, value)` of `<input type="hidden">`.
    pub hidden: Vec<(String, String)>,
    /// `(name, value)` of named submit buttons.
    pub buttons: Vec<(String, String)>,
}

struct Tag {
    /// Lower-case name, with a leading `/` for end tags.
    name: String,
    attrs: Vec<(String, String)>,
    /// Byte offset just past the `>`.
    end: usize,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// The tags of a document, in order.
fn tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(offset) = html[i..].find('<') {
        let start = i + offset + 1;
        let mut j = start;
        while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'/' || bytes[j] == b'!') {
            j += 1;
        }
        let name = html[start..j].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j >= bytes.len() || bytes[j] == b'>' {
                break;
            }
            let key_start = j;
            while j < bytes.len() && !bytes[j].is_ascii_whitespace() && !matches!(bytes[j], b'=' | b'>') {
                j += 1;
            }
            let key = html[key_start..j].to_ascii_lowercase();
            let mut value = String::new();
            if j < bytes.len() && bytes[j] == b'=' {
                j += 1;
                if j < bytes.len() && (bytes[j] == b'"' || bytes[j] == b'\'') {
                    let quote = bytes[j] as char;
                    let end = html[j + 1..].find(quote).map_or(bytes.len(), |e| j + 1 + e);
                    value = decode_entities(&html[j + 1..end]);
                    j = (end + 1).min(bytes.len());
                } else {
                    let value_start = j;
                    while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>' {
                        j += 1;
                    }
                    value = decode_entities(&html[value_start..j]);
                }
            }
            if key.is_empty() {
                j += 1;
            } else {
                attrs.push((key, value));
            }
        }
        let end = (j + 1).min(bytes.len());
        out.push(Tag { name, attrs, end });
        i = end;
    }
    out
}

/// The form with this id (or the first POST form when none has it).
pub(super) fn find(html: &str, id: &str) -> Option<Form> {
    let tags = tags(html);
    let starts: Vec<usize> = tags.iter().enumerate().filter(|(_, t)| t.name == "form").map(|(i, _)| i).collect();
    let start = starts.iter().copied().find(|i| tags[*i].attr("id") == Some(id)).or_else(|| {
        starts.iter().copied().find(|i| tags[*i].attr("method").is_some_and(|m| m.eq_ignore_ascii_case("post")))
    })?;
    let mut form = Form { action: tags[start].attr("action").unwrap_or("").to_string(), ..Form::default() };
    for tag in tags[start + 1..].iter().take_while(|t| t.name != "/form") {
        let (Some(name), value) = (tag.attr("name"), tag.attr("value").unwrap_or("")) else { continue };
        let kind = tag.attr("type").unwrap_or(if tag.name == "button" { "submit" } else { "text" });
        match (tag.name.as_str(), kind) {
            ("input", "hidden") => form.hidden.push((name.into(), value.into())),
            ("button", "submit") | ("input", "submit") => form.buttons.push((name.into(), value.into())),
            _ => {}
        }
    }
    Some(form)
}

/// The text of the first `<p class="err">`, if the page shows one.
pub(super) fn error_message(html: &str) -> Option<String> {
    let tag = tags(html).into_iter().find(|t| t.name == "p" && t.attr("class") == Some("err"))?;
    let end = html[tag.end..].find("</p>")? + tag.end;
    Some(decode_entities(&html[tag.end..end]))
}

/// The page without tags, whitespace collapsed (for error messages).
pub(super) fn visible_text(html: &str) -> String {
    let body = html.find("<body").map_or(html, |i| &html[i..]);
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    decode_entities(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_hidden_inputs_and_buttons_of_the_named_form() {
        let html = r#"<form id="auto" method="post" action="/x"><input type="hidden" name="a" value="1"></form>
            <form id="signin" method="post" action="/t/authorize"><input type="hidden" name="state" value="s&amp;1">
            <button type="submit" name="username" value="alice@x">Alice</button><input type=text name=login></form>"#;
        let form = find(html, "signin").expect("form");
        assert_eq!(form.action, "/t/authorize");
        assert_eq!(form.hidden, vec![("state".to_string(), "s&1".to_string())], "entities decode in values");
        assert_eq!(form.buttons, vec![("username".to_string(), "alice@x".to_string())]);
    }
}
