//! The API's routes: each `http` event of serverless.yml (read by xtask), matched against a request's method
//! and path as API Gateway matches them (`{id}` one segment, `{path+}` the rest).

/// One `http` event: `PUT users/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub function: String,
    /// Upper case, or `ANY`.
    pub method: String,
    /// Without the leading slash: `users/{id}`.
    pub path: String,
}

impl RouteSpec {
    pub fn describe(&self) -> String {
        format!("{} /{}", self.method, self.path)
    }

    /// The path parameters, if the request is for this route.
    pub fn matches(&self, method: &str, path: &str) -> Option<Vec<(String, String)>> {
        if self.method != "ANY" && self.method != method {
            return None;
        }
        let mut parameters = Vec::new();
        let mut request = path.trim_matches('/').split('/');
        for segment in self.path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix("+}")) {
                let rest: Vec<&str> = request.by_ref().collect();
                parameters.push((name.to_owned(), percent_decode(&rest.join("/"))?));
                return Some(parameters);
            }
            let actual = request.next()?;
            match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => parameters.push((name.to_owned(), percent_decode(actual)?)),
                None if segment == actual => {}
                None => return None,
            }
        }
        request.next().is_none().then_some(parameters)
    }
}

/// `%C3%AB` as `ë`; `None` when the bytes are not UTF-8 (`%FF`), which no id can be.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: &str, path: &str) -> RouteSpec {
        RouteSpec {
            function: "f".into(),
            method: method.into(),
            path: path.into(),
        }
    }

    #[test]
    fn a_path_that_is_not_utf8_matches_nothing() {
        // %FF and %FE would both become U+FFFD, one item for two ids.
        assert_eq!(
            route("PUT", "users/{id}").matches("PUT", "/users/%FF"),
            None
        );
        assert_eq!(percent_decode("%FE"), None);
    }

    #[test]
    fn path_parameters_are_matched_and_decoded() {
        let put = route("PUT", "users/{id}");
        assert_eq!(
            put.matches("PUT", "/users/1"),
            Some(vec![("id".into(), "1".into())])
        );
        assert_eq!(
            put.matches("PUT", "/users/zo%C3%AB"),
            Some(vec![("id".into(), "zoë".into())])
        );
        assert_eq!(put.matches("GET", "/users/1"), None);
        assert_eq!(put.matches("PUT", "/users"), None);
        assert_eq!(put.matches("PUT", "/users/1/extra"), None);
        assert_eq!(
            route("ANY", "files/{path+}").matches("GET", "/files/a/b"),
            Some(vec![("path".into(), "a/b".into())])
        );
    }
}
