//! `data-nexxo-source="src/App.tsx:12:7"` on each HTML element written in the project's JSX
//! (`<img>`, `<a>`, not `<Component>`), in dev only, so the audits panel can name the line that
//! wrote an element it reports.
//!
//! React 19 no longer keeps the `__source` that the development JSX transform passes
//! (`_debugSource` is gone), so the location travels as a DOM attribute instead: one walk of
//! the parsed module, before the JSX transform, adding a string attribute. Components are left
//! alone (they may not pass unknown props on), as are files under `node_modules`.

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    JSXAttributeItem, JSXAttributeName, JSXAttributeValue, JSXElementName, JSXOpeningElement,
    Program,
};
use oxc_ast::builder::AstBuilder;
use oxc_ast_visit::{walk_mut, VisitMut};
use oxc_span::SPAN;

pub const SOURCE_ATTRIBUTE: &str = "data-nexxo-source";

/// Adds the attribute to every HTML element of `program` (parsed from `source`), naming
/// `file` (root-relative) and the element's 1-based line and column.
pub fn add_source_attributes<'a>(
    allocator: &'a Allocator,
    program: &mut Program<'a>,
    source: &str,
    file: &str,
) {
    let mut line_starts = vec![0usize];
    line_starts.extend(
        source
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i + 1),
    );
    let mut marker = Marker {
        builder: AstBuilder::new(allocator),
        allocator,
        source,
        file,
        line_starts,
    };
    marker.visit_program(program);
}

struct Marker<'a, 's> {
    builder: AstBuilder<'a>,
    allocator: &'a Allocator,
    source: &'s str,
    file: &'s str,
    line_starts: Vec<usize>,
}

impl<'a> VisitMut<'a> for Marker<'a, '_> {
    fn visit_jsx_opening_element(&mut self, element: &mut JSXOpeningElement<'a>) {
        let is_html_element = matches!(&element.name, JSXElementName::Identifier(_));
        let marked = element.attributes.iter().any(|attribute| {
            matches!(attribute, JSXAttributeItem::Attribute(a)
                if matches!(&a.name, JSXAttributeName::Identifier(name) if name.name == SOURCE_ATTRIBUTE))
        });
        if is_html_element && !marked {
            let offset = element.span.start as usize;
            let line = self.line_starts.partition_point(|&start| start <= offset);
            let line_start = self.line_starts[line - 1];
            let column = self
                .source
                .get(line_start..offset)
                .map_or(0, |text| text.chars().count())
                + 1;
            let value = self
                .allocator
                .alloc_str(&format!("{}:{line}:{column}", self.file));
            let name = JSXAttributeName::new_identifier(SPAN, SOURCE_ATTRIBUTE, &self.builder);
            let value = JSXAttributeValue::new_string_literal(SPAN, value, None, &self.builder);
            element.attributes.push(JSXAttributeItem::new_attribute(
                SPAN,
                name,
                Some(value),
                &self.builder,
            ));
        }
        walk_mut::walk_jsx_opening_element(self, element);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::transform::{compile_module, TransformSettings};

    fn compile(source: &str, on: bool) -> String {
        let settings = TransformSettings::new(&[], false, None)
            .unwrap()
            .with_source_attributes(on);
        let options = settings.options_for(None).unwrap();
        compile_module(
            Path::new("/p/src/App.tsx"),
            "/src/App.tsx",
            source,
            &settings,
            &options,
        )
        .unwrap()
        .code
    }

    #[test]
    fn html_elements_carry_their_line_and_column() {
        let source = "export function App() {\n  return (\n    <main>\n      <img src=\"/a.png\" />\n      <Card title=\"x\" />\n    </main>\n  );\n}\n";
        let code = compile(source, true);
        assert!(
            code.contains("\"data-nexxo-source\": \"src/App.tsx:3:5\""),
            "{code}"
        );
        assert!(
            code.contains("\"data-nexxo-source\": \"src/App.tsx:4:7\""),
            "{code}"
        );
        assert_eq!(
            code.matches("data-nexxo-source").count(),
            2,
            "components are left alone: {code}"
        );
    }

    #[test]
    fn off_adds_nothing() {
        let code = compile("export const A = () => <p>hi</p>;\n", false);
        assert!(!code.contains("data-nexxo-source"), "{code}");
    }
}
