//! apollo-compiler's validation diagnostics, rewritten as the graphql-java errors Upwork sends.
//!
//! Upwork runs graphql-java, whose validation messages look like
//! `Validation error (FieldUndefined@[marketplaceJobPostingsSearch/edges/node/salary]) : Field
//! 'salary' in type 'MarketplaceJobPostingSearchResult' is undefined`: the rule's error type, the
//! query path (field names, not aliases, from the operation or fragment root), then the rule's
//! message (graphql-java's `Validation.properties`). apollo finds the same mistakes; this module
//! maps each of its diagnostics to the graphql-java type and message, computing the query path and
//! the argument path from the document's syntax tree. Syntax errors come back as graphql-java's
//! `InvalidSyntax`. The mapping reads apollo's diagnostic names and graphql-js style messages
//! (`unstable_error_name`, `unstable_compat_message`); `Cargo.lock` pins the version it was written
//! against, and the tests in `tests/sandbox_api.rs` pin the output.

use super::response::{GqlError, Location};
use super::schema::schema;
use apollo_compiler::Node;
use apollo_compiler::ast::{self, Definition, Selection, Value};
use apollo_compiler::diagnostic::ToCliReport;
use apollo_compiler::parser::SourceSpan;
use apollo_compiler::validation::DiagnosticList;

/// One apollo diagnostic, flattened.
struct Found {
    name: Option<&'static str>,
    compat: Option<String>,
    text: String,
    span: Option<SourceSpan>,
}

/// graphql-java errors for a document apollo rejected.
pub(super) fn translate(source: &str, diagnostics: &DiagnosticList) -> Vec<GqlError> {
    let mut found: Vec<Found> = diagnostics
        .iter()
        .map(|d| Found {
            name: d.error.unstable_error_name(),
            compat: d.error.unstable_compat_message(),
            text: d.error.to_string(),
            span: d.error.location(),
        })
        .collect();
    if let Some(syntax) = found.iter().find(|f| f.name.is_none()) {
        // graphql-java stops at the first syntax error.
        let offset = syntax.span.map_or(0, |s| s.offset());
        let at = line_column(source, offset);
        return vec![GqlError::new(
            format!(
                "Invalid syntax with offending token '{}' at line {} column {}",
                token_at(source, offset),
                at.line,
                at.column
            ),
            vec![at],
            "InvalidSyntax",
        )];
    }
    // apollo also reports a selection set left empty by an undefined field; graphql-java does not.
    let inner: Vec<usize> = found
        .iter()
        .filter(|f| f.name != Some("MissingSubselection"))
        .filter_map(|f| f.span.map(|s| s.offset()))
        .collect();
    found.retain(|f| {
        f.name != Some("MissingSubselection")
            || !f
                .span
                .is_some_and(|s| inner.iter().any(|&o| contains(Some(s), o)))
    });
    let document = match ast::Document::parse(source, "query.graphql") {
        Ok(document) => document,
        Err(partial) => partial.partial,
    };
    let mut errors: Vec<GqlError> = Vec::new();
    let mut wrong_type_arguments: Vec<usize> = Vec::new();
    for f in &found {
        let offset = f.span.map_or(0, |s| s.offset());
        let (path, field) = locate(&document, offset);
        let quoted = quoted(f.compat.as_deref().unwrap_or(""));
        let q = |i: usize| quoted.get(i).copied().unwrap_or("");
        let mut location = offset;
        let mut with_path = true;
        let (kind, message) = match f.name.unwrap_or("") {
            "UndefinedField" => (
                "FieldUndefined",
                format!("Field '{}' in type '{}' is undefined", q(0), q(1)),
            ),
            "UndefinedArgument" if q(1).starts_with('@') => (
                "UnknownDirective",
                format!("Unknown directive argument '{}'", q(0)),
            ),
            "UndefinedArgument" => (
                "UnknownArgument",
                format!("Unknown field argument '{}'", q(0)),
            ),
            "RequiredArgument" if q(0).starts_with('@') => (
                "MissingDirectiveArgument",
                format!("Missing directive argument '{}'", q(1)),
            ),
            "RequiredArgument" => (
                "MissingFieldArgument",
                format!("Missing field argument '{}'", q(1)),
            ),
            "UndefinedVariable" => (
                "UndefinedVariable",
                format!("Undefined variable '{}'", q(0).trim_start_matches('$')),
            ),
            "UnusedVariable" => {
                with_path = false;
                (
                    "UnusedVariable",
                    format!("Unused variable '{}'", q(0).trim_start_matches('$')),
                )
            }
            "DisallowedVariableUsage" => (
                "VariableTypeMismatch",
                format!(
                    "Variable '{}' of type '{}' used in position expecting type '{}'",
                    q(0).trim_start_matches('$'),
                    q(1),
                    q(2)
                ),
            ),
            name @ ("UndefinedEnumValue"
            | "UnsupportedValueType"
            | "IntCoercionError"
            | "FloatCoercionError"
            | "UndefinedInputValue"
            | "RequiredField") => {
                let Some(wrong) = wrong_type(field, offset, name, &quoted, f) else {
                    errors.push(fallback(f, &path, source, offset));
                    continue;
                };
                // graphql-java reports one wrong value per argument.
                if wrong_type_arguments.contains(&wrong.argument_offset) {
                    continue;
                }
                wrong_type_arguments.push(wrong.argument_offset);
                location = wrong.argument_offset;
                ("WrongType", wrong.message)
            }
            "UniqueArgument" => (
                "DuplicateArgumentNames",
                format!("There can be only one argument named '{}'", q(0)),
            ),
            "UniqueVariable" => (
                "DuplicateVariableName",
                format!(
                    "There can be only one variable named '{}'",
                    q(0).trim_start_matches('$')
                ),
            ),
            "UndefinedDefinition"
            | "UndefinedTypeInNamedFragmentTypeCondition"
            | "UndefinedTypeInInlineFragmentTypeCondition" => {
                ("UnknownType", format!("Unknown type '{}'", q(0)))
            }
            "UndefinedDirective" => (
                "UnknownDirective",
                format!("Unknown directive '{}'", q(0).trim_start_matches('@')),
            ),
            "UndefinedFragment" => (
                "UndefinedFragment",
                format!("Undefined fragment '{}'", q(0)),
            ),
            "UnusedFragment" => {
                with_path = false;
                ("UnusedFragment", format!("Unused fragment '{}'", q(0)))
            }
            "UnsupportedLocation" => (
                "MisplacedDirective",
                format!(
                    "Directive '{}' not allowed here",
                    q(0).trim_start_matches('@')
                ),
            ),
            "UniqueDirective" => (
                "DuplicateDirectiveName",
                format!(
                    "Non repeatable directives must be uniquely named within a location. The directive '{}' is not unique",
                    q(0).trim_start_matches('@')
                ),
            ),
            "MissingSubselection" => {
                let ty = schema()
                    .type_field(q(1), q(0))
                    .map(|definition| definition.ty.to_string())
                    .unwrap_or_else(|_| q(1).to_owned());
                (
                    "SubselectionRequired",
                    format!("Subselection required for type '{ty}' of field '{}'", q(0)),
                )
            }
            "SubselectionOnScalarType" | "SubselectionOnEnumType" => (
                "SubselectionNotAllowed",
                format!(
                    "Subselection not allowed on leaf type '{}' of field '{}'",
                    q(1),
                    q(0)
                ),
            ),
            "InvalidFragmentTarget" if quoted.len() > 1 => (
                "FragmentTypeConditionInvalid",
                "Fragment type condition is invalid, must be on Object/Interface/Union".to_owned(),
            ),
            "InvalidFragmentTarget" => (
                "InlineFragmentTypeConditionInvalid",
                "Inline fragment type condition is invalid, must be on Object/Interface/Union"
                    .to_owned(),
            ),
            "InvalidFragmentSpread" if quoted.len() > 2 => (
                "InvalidFragmentType",
                format!(
                    "Fragment '{}' cannot be spread here as objects of type '{}' can never be of type '{}'",
                    q(0),
                    q(1),
                    q(2)
                ),
            ),
            "InvalidFragmentSpread" => (
                "InvalidFragmentType",
                format!(
                    "Fragment cannot be spread here as objects of type '{}' can never be of type '{}'",
                    q(0),
                    q(1)
                ),
            ),
            "RecursiveFragmentDefinition" => {
                ("FragmentCycle", "Fragment cycles not allowed".to_owned())
            }
            "ConflictingFieldName" => (
                "FieldsConflict",
                format!(
                    "'{}' : '{}' and '{}' are different fields",
                    q(0),
                    q(1),
                    q(2)
                ),
            ),
            "ConflictingFieldArgument" => (
                "FieldsConflict",
                format!("'{}' : fields have different arguments", q(0)),
            ),
            "ConflictingFieldType" => (
                "FieldsConflict",
                format!("'{}' : they return different types", q(0)),
            ),
            "OperationNameCollision" => {
                with_path = false;
                (
                    "DuplicateOperationName",
                    format!("There can be only one operation named '{}'", q(0)),
                )
            }
            "AmbiguousAnonymousOperation" => {
                with_path = false;
                (
                    "LoneAnonymousOperationViolation",
                    "Anonymous operation with other operations".to_owned(),
                )
            }
            "UndefinedRootOperation" => {
                with_path = false;
                (
                    "UnknownOperation",
                    format!("The '{}' operation is not supported by the schema", q(0)),
                )
            }
            "TypeSystemDefinition" => {
                with_path = false;
                match quoted.first() {
                    Some(name) => (
                        "NonExecutableDefinition",
                        format!("Type '{name}' definition is not executable"),
                    ),
                    None => (
                        "NonExecutableDefinition",
                        "Schema definition is not executable".to_owned(),
                    ),
                }
            }
            "VariableInputType" => (
                "NonInputTypeOnVariable",
                format!(
                    "Input variable '{}' type '{}' is not an input type",
                    q(0).trim_start_matches('$'),
                    q(1)
                ),
            ),
            _ => {
                errors.push(fallback(f, &path, source, offset));
                continue;
            }
        };
        if matches!(
            kind,
            "FieldUndefined"
                | "MissingFieldArgument"
                | "SubselectionRequired"
                | "SubselectionNotAllowed"
        ) {
            // graphql-java points at the whole field, alias included.
            if let Some(start) = field.and_then(|f| f.location()) {
                location = start.offset();
            }
        }
        let path = if with_path { path.as_slice() } else { &[] };
        errors.push(GqlError::new(
            format!(
                "Validation error ({}) : {message}",
                type_and_path(kind, path)
            ),
            vec![line_column(source, location)],
            "ValidationError",
        ));
    }
    errors
}

/// graphql-java's `Type@[a/b/c]`, or just `Type` outside any field.
fn type_and_path(kind: &str, path: &[String]) -> String {
    if path.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}@[{}]", path.join("/"))
    }
}

/// A diagnostic this module has no graphql-java twin for: apollo's own words.
fn fallback(f: &Found, path: &[String], source: &str, offset: usize) -> GqlError {
    let kind = f.name.unwrap_or("ValidationError");
    GqlError::new(
        format!(
            "Validation error ({}) : {}",
            type_and_path(kind, path),
            f.text
        ),
        vec![line_column(source, offset)],
        "ValidationError",
    )
}

/// A literal argument value of the wrong type, described the graphql-java way.
struct WrongValue {
    argument_offset: usize,
    message: String,
}

fn wrong_type(
    field: Option<&Node<ast::Field>>,
    offset: usize,
    name: &str,
    quoted: &[&str],
    found: &Found,
) -> Option<WrongValue> {
    let field = field?;
    let argument = field
        .arguments
        .iter()
        .chain(field.directives.iter().flat_map(|d| d.arguments.iter()))
        .find(|a| contains(a.location(), offset))?;
    let argument_offset = argument.location()?.offset();
    let stop_before =
        (name == "UndefinedInputValue").then(|| quoted.first().copied().unwrap_or(""));
    let (path, inner) = value_path(argument, offset, stop_before);
    let whole = java_value(&argument.value);
    let message = match name {
        "UndefinedInputValue" => format!(
            "argument '{path}' with value '{whole}' contains a field not in '{}': '{}'",
            quoted.get(1).copied().unwrap_or(""),
            quoted.first().copied().unwrap_or("")
        ),
        "RequiredField" => {
            let missing = quoted
                .first()
                .and_then(|c| c.rsplit('.').next())
                .unwrap_or("");
            format!(
                "argument '{path}' with value '{whole}' is missing required fields '[{missing}]'"
            )
        }
        _ if matches!(inner.as_ref(), Value::Null) => {
            format!("argument '{path}' with value 'NullValue{{}}' must not be null")
        }
        _ => {
            let ty = match name {
                "UndefinedEnumValue" => quoted.get(1).copied().unwrap_or(""),
                "IntCoercionError" => "Int",
                "FloatCoercionError" => "Float",
                _ => found
                    .compat
                    .as_deref()
                    .and_then(|m| m.split(" cannot represent").next())
                    .unwrap_or(""),
            };
            format!(
                "argument '{path}' with value '{}' is not a valid '{ty}'",
                java_value(inner)
            )
        }
    };
    Some(WrongValue {
        argument_offset,
        message,
    })
}

/// The path `arg.field[1].field` down to the innermost value containing `offset`, and that value;
/// with `stop_before`, the walk stops at the object holding that (undefined) field.
fn value_path<'a>(
    argument: &'a Node<ast::Argument>,
    offset: usize,
    stop_before: Option<&str>,
) -> (String, &'a Node<Value>) {
    let mut path = argument.name.to_string();
    let mut value = &argument.value;
    loop {
        let next = match value.as_ref() {
            Value::Object(fields) => fields
                .iter()
                .find(|(name, v)| {
                    let start = name.location().map_or(usize::MAX, |l| l.offset());
                    let end = v.location().map_or(0, |l| l.end_offset());
                    start <= offset && offset < end
                })
                .filter(|(name, _)| Some(name.as_str()) != stop_before)
                .map(|(name, v)| (format!(".{name}"), v)),
            Value::List(items) => items
                .iter()
                .enumerate()
                .find(|(_, v)| contains(v.location(), offset))
                .map(|(i, v)| (format!("[{i}]"), v)),
            _ => None,
        };
        match next {
            Some((step, inner)) => {
                path.push_str(&step);
                value = inner;
            }
            None => return (path, value),
        }
    }
}

/// A literal as graphql-java's AST `toString` prints it, e.g. `EnumValue{name='DAILY'}`.
fn java_value(value: &Value) -> String {
    match value {
        Value::Null => "NullValue{}".to_owned(),
        Value::Enum(name) => format!("EnumValue{{name='{name}'}}"),
        Value::Variable(name) => format!("VariableReference{{name='{name}'}}"),
        Value::String(s) => format!("StringValue{{value='{s}'}}"),
        Value::Float(f) => format!("FloatValue{{value={f}}}"),
        Value::Int(i) => format!("IntValue{{value={i}}}"),
        Value::Boolean(b) => format!("BooleanValue{{value={b}}}"),
        Value::List(items) => format!(
            "ArrayValue{{values=[{}]}}",
            items
                .iter()
                .map(|v| java_value(v))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Object(fields) => format!(
            "ObjectValue{{objectFields=[{}]}}",
            fields
                .iter()
                .map(|(name, v)| format!("ObjectField{{name='{name}', value={}}}", java_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The query path at `offset` (fragment name, then field names) and the innermost field there.
fn locate(document: &ast::Document, offset: usize) -> (Vec<String>, Option<&Node<ast::Field>>) {
    for definition in &document.definitions {
        match definition {
            Definition::OperationDefinition(op) if contains(op.location(), offset) => {
                return walk(&op.selection_set, offset, Vec::new());
            }
            Definition::FragmentDefinition(fragment) if contains(fragment.location(), offset) => {
                return walk(
                    &fragment.selection_set,
                    offset,
                    vec![fragment.name.to_string()],
                );
            }
            _ => {}
        }
    }
    (Vec::new(), None)
}

fn walk(
    mut selections: &[Selection],
    offset: usize,
    mut path: Vec<String>,
) -> (Vec<String>, Option<&Node<ast::Field>>) {
    let mut innermost = None;
    'descend: loop {
        for selection in selections {
            match selection {
                Selection::Field(field) if contains(field.location(), offset) => {
                    path.push(field.name.to_string());
                    innermost = Some(field);
                    selections = &field.selection_set;
                    continue 'descend;
                }
                Selection::InlineFragment(inline) if contains(inline.location(), offset) => {
                    selections = &inline.selection_set;
                    continue 'descend;
                }
                _ => {}
            }
        }
        return (path, innermost);
    }
}

fn contains(span: Option<SourceSpan>, offset: usize) -> bool {
    span.is_some_and(|s| s.offset() <= offset && offset < s.end_offset().max(s.offset() + 1))
}

/// The `"…"`-quoted parts of a graphql-js style message, in order.
fn quoted(message: &str) -> Vec<&str> {
    message.split('"').skip(1).step_by(2).collect()
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(source: &str, offset: usize) -> Location {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    Location { line, column }
}

/// The token graphql-java would call offending at `offset`.
fn token_at(source: &str, offset: usize) -> String {
    let Some(rest) = source.get(offset..).filter(|r| !r.trim().is_empty()) else {
        return "<EOF>".to_owned();
    };
    let rest = rest.trim_start();
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if word.is_empty() {
        rest.chars().next().map(String::from).unwrap_or_default()
    } else {
        word
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_characters() {
        let at = line_column("{\n  ab", 5);
        assert_eq!((at.line, at.column), (2, 4));
        assert_eq!(token_at("{ a ", 4), "<EOF>");
        assert_eq!(token_at("{ a }", 1), "a");
    }

    #[test]
    fn quoted_parts_come_out_in_order() {
        assert_eq!(
            quoted(r#"Cannot query field "salary" on type "Node"."#),
            vec!["salary", "Node"]
        );
    }
}
