//! The stored postings as the user browses them: the list with its filters and sorts, one
//! posting with everything known of it, labels and notes, the charts' figures. The dashboard
//! ([`crate::serve`]) and the MCP server ([`crate::mcp`]) both answer from here, so a filter or
//! a label rule is written once.
//!
//! [`data`] runs the queries (SQL in `sql/`), [`filter`] reads and checks the list's filters,
//! [`label`] the rules of a label and a note. It uses the pipeline's views and the database;
//! nothing below imports it.

pub mod data;
pub mod filter;
pub mod label;
