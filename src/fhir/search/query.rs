//! The parsed form of a search: [`SearchQuery`] and its parts (built by [`super::params`]).

use super::date::DateRange;
use super::include::ResolvedInclude;
use super::registry::{ResourceDef, SearchParamDef};
use super::values::RefTarget;

/// Page size when `_count` is absent.
pub const DEFAULT_COUNT: usize = 1000;
/// Largest accepted `_count`; larger values are a `count_too_large` error, not clamped.
pub const MAX_COUNT: usize = 1000;

/// A parsed search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    pub resource_type: &'static str,
    /// ANDed filters (one per parameter occurrence).
    pub filters: Vec<Filter>,
    pub count: usize,
    /// `_offset`: index of the first match on this page (our paging cursor).
    pub offset: usize,
    pub sort: Vec<SortSpec>,
    /// `_summary=count`: return only the total.
    pub summary_count: bool,
    pub total: Option<TotalMode>,
    pub includes: Vec<Include>,
    /// `_format` as sent (content negotiation is the server's business).
    pub format: Option<String>,
    /// Parameters that were not applied (lenient mode only).
    pub ignored: Vec<IgnoredParam>,
}

impl SearchQuery {
    /// An unfiltered query with defaults.
    pub fn new(resource: &'static ResourceDef) -> Self {
        Self {
            resource_type: resource.resource_type,
            filters: Vec::new(),
            count: DEFAULT_COUNT,
            offset: 0,
            sort: Vec::new(),
            summary_count: false,
            total: None,
            includes: Vec::new(),
            format: None,
            ignored: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredParam {
    pub name: String,
    pub value: String,
    pub reason: String,
}

/// One parameter occurrence: the resource matches when `condition` holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub param: &'static SearchParamDef,
    pub condition: Condition,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `:missing=true` (no value) / `:missing=false` (some value).
    Missing(bool),
    /// Any element value matches any of `values`; `negate` is `:not` (no value matches,
    /// which includes resources without a value).
    Token {
        values: Vec<TokenValue>,
        negate: bool,
    },
    /// Any element reference matches any of the targets (a bare id matches any type).
    Reference(Vec<RefTarget>),
    /// Any element range satisfies any of the prefixed values.
    Date(Vec<DateParam>),
}

/// The four token forms.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TokenValue {
    /// `code`: any system.
    Code(String),
    /// `system|code`.
    SystemCode { system: String, code: String },
    /// `|code`: no system.
    NoSystemCode(String),
    /// `system|`: any code in the system.
    System(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatePrefix {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Sa,
    Eb,
    Ap,
}

impl DatePrefix {
    pub const ALL: [DatePrefix; 9] = [
        Self::Eq,
        Self::Ne,
        Self::Gt,
        Self::Lt,
        Self::Ge,
        Self::Le,
        Self::Sa,
        Self::Eb,
        Self::Ap,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Gt => "gt",
            Self::Lt => "lt",
            Self::Ge => "ge",
            Self::Le => "le",
            Self::Sa => "sa",
            Self::Eb => "eb",
            Self::Ap => "ap",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateParam {
    pub prefix: DatePrefix,
    /// The precision range of the value.
    pub range: DateRange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortSpec {
    /// A sortable parameter code of the resource type.
    pub param: &'static str,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalMode {
    None,
    Estimate,
    Accurate,
}

/// An `_include` (or `_include:iterate`) request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    pub iterate: bool,
    pub spec: ResolvedInclude,
}
