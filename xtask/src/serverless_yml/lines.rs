//! Where a key of serverless.yml is written, so that a refusal can say "line 42" as the
//! learner's editor numbers it. The values themselves are read by `yaml_serde`, which keeps no
//! positions; this reads the same text again as YAML events (saphyr's parser, already the
//! bounds' guard), following the path of keys and list positions.

use saphyr_parser::{Event, Parser};

/// One step of a path: a mapping's key or a list's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Where the parser is inside one mapping or list.
enum Frame {
    /// The key being read or whose value is being read (`None` for a key that is not text).
    Mapping {
        key: Option<String>,
        at_value: bool,
    },
    List {
        index: usize,
    },
}

impl Frame {
    fn step(&self) -> Option<Step<'_>> {
        match self {
            Frame::Mapping {
                key: Some(key),
                at_value: true,
            } => Some(Step::Key(key)),
            Frame::Mapping { .. } => None,
            Frame::List { index } => Some(Step::Index(*index)),
        }
    }

    /// A node has ended inside this frame: the next is a value, a key or a list's next item.
    fn node_ended(&mut self) {
        match self {
            Frame::Mapping { key, at_value } => {
                if *at_value {
                    *key = None;
                }
                *at_value = !*at_value;
            }
            Frame::List { index } => *index += 1,
        }
    }
}

/// The line (from 1) where `path` is written: a key's own line, or where a list's item starts.
/// `None` where the text does not have it (or is not YAML the parser reads to that point).
pub fn line_of(text: &str, path: &[Step<'_>]) -> Option<usize> {
    let mut frames: Vec<Frame> = Vec::new();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.ok()?;
        let starts_node = matches!(
            event,
            Event::Scalar(..)
                | Event::Alias(_)
                | Event::SequenceStart(..)
                | Event::MappingStart(..)
        );
        if starts_node {
            if let Some(top) = frames.last_mut() {
                let at_key = matches!(
                    top,
                    Frame::Mapping {
                        at_value: false,
                        ..
                    }
                );
                if let (Frame::Mapping { key, .. }, true) = (&mut *top, at_key) {
                    *key = match &event {
                        Event::Scalar(text, ..) => Some(text.to_string()),
                        _ => None,
                    };
                }
                let here = frames.iter().filter_map(Frame::step);
                let reached = match frames.last() {
                    Some(Frame::Mapping { key: Some(key), .. }) if at_key => {
                        here.chain([Step::Key(key)]).eq(path.iter().copied())
                    }
                    Some(Frame::List { .. }) => here.eq(path.iter().copied()),
                    _ => false,
                };
                if reached {
                    return Some(span.start.line());
                }
            }
        }
        match event {
            Event::MappingStart(..) => frames.push(Frame::Mapping {
                key: None,
                at_value: false,
            }),
            Event::SequenceStart(..) => frames.push(Frame::List { index: 0 }),
            Event::MappingEnd | Event::SequenceEnd => {
                frames.pop();
                if let Some(top) = frames.last_mut() {
                    top.node_ended();
                }
            }
            Event::Scalar(..) | Event::Alias(_) => {
                if let Some(top) = frames.last_mut() {
                    top.node_ended();
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use Step::{Index, Key};

    const YML: &str = "service: s
functions:
  api:
    handler: api.handler
  stream:
    handler: stream.handler
    events:
      - stream:
          type: dynamodb
          batchSize: 20000
      - stream: {type: dynamodb, batchWindow: 900}\n";

    #[test]
    fn keys_and_list_items_are_found_on_their_lines() {
        assert_eq!(line_of(YML, &[Key("service")]), Some(1));
        assert_eq!(line_of(YML, &[Key("functions"), Key("stream")]), Some(5));
        let first = [Key("functions"), Key("stream"), Key("events"), Index(0)];
        assert_eq!(line_of(YML, &first), Some(8));
        let batch = [
            Key("functions"),
            Key("stream"),
            Key("events"),
            Index(0),
            Key("stream"),
            Key("batchSize"),
        ];
        assert_eq!(line_of(YML, &batch), Some(10));
        let window = [
            Key("functions"),
            Key("stream"),
            Key("events"),
            Index(1),
            Key("stream"),
            Key("batchWindow"),
        ];
        assert_eq!(line_of(YML, &window), Some(11));
    }

    #[test]
    fn what_is_not_there_has_no_line() {
        assert_eq!(line_of(YML, &[Key("provider")]), None);
        assert_eq!(line_of(YML, &[Key("handler")]), None);
        assert_eq!(
            line_of(YML, &[Key("functions"), Key("api"), Key("events")]),
            None
        );
        assert_eq!(line_of("a: [", &[Key("b")]), None);
    }
}
