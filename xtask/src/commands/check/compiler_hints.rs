//! What to do about a compiler error a learner of this step is likely to meet, in words that
//! name the step's types rather than rustc's rules.

/// A hint for the first known error among the compiler's messages, if there is one.
pub fn for_errors(errors: &str) -> Option<String> {
    if errors.contains("E0639") {
        return Some(
            "the event types (DynamoDbEventResponse, DynamoDbBatchItemFailure, ...) may gain \
             fields in later versions of aws_lambda_events, so they cannot be built with \
             `Type { field: .. }`: start from `::default()` and set the fields, e.g. \
             `let mut failure = DynamoDbBatchItemFailure::default(); \
             failure.item_identifier = record.change.sequence_number.clone();` (README, \"Handle \
             the records in Rust\")"
                .to_owned(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_struct_literal_of_a_non_exhaustive_event_type_gets_the_default_hint() {
        let rustc = "error[E0639]: cannot create non-exhaustive struct using struct expression\n";
        assert!(for_errors(rustc).is_some_and(|hint| hint.contains("::default()")));
        assert_eq!(for_errors("error[E0425]: cannot find value `x`"), None);
    }
}
