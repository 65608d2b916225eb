//! Search errors: a stable snake_case code plus a human message naming parameter and value.
//! Every error becomes a 400 OperationOutcome upstream.

/// The stable machine-readable code of a [`SearchError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchErrorCode {
    /// The resource type is not searchable here.
    UnsupportedResourceType,
    /// Unknown parameter under `Prefer: handling=strict`.
    UnknownSearchParam,
    /// A known FHIR parameter or value we do not implement (`_elements`, `_summary=text`),
    /// under `Prefer: handling=strict`.
    UnsupportedParam,
    InvalidDate,
    InvalidToken,
    InvalidReference,
    InvalidCount,
    CountTooLarge,
    InvalidOffset,
    /// A malformed value of a result parameter or modifier (`_total`, `_summary`, `:missing`).
    InvalidParamValue,
    UnknownModifier,
    UnsupportedSort,
    InvalidInclude,
}

impl SearchErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnsupportedResourceType => "unsupported_resource_type",
            Self::UnknownSearchParam => "unknown_search_param",
            Self::UnsupportedParam => "unsupported_param",
            Self::InvalidDate => "invalid_date",
            Self::InvalidToken => "invalid_token",
            Self::InvalidReference => "invalid_reference",
            Self::InvalidCount => "invalid_count",
            Self::CountTooLarge => "count_too_large",
            Self::InvalidOffset => "invalid_offset",
            Self::InvalidParamValue => "invalid_param_value",
            Self::UnknownModifier => "unknown_modifier",
            Self::UnsupportedSort => "unsupported_sort",
            Self::InvalidInclude => "invalid_include",
        }
    }
}

impl std::fmt::Display for SearchErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A search request that cannot be answered as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SearchError {
    pub code: SearchErrorCode,
    /// The parameter name as sent (with modifier), e.g. `service-date` or `_count`.
    pub param: String,
    /// The offending value as sent (after URL decoding).
    pub value: String,
    /// A sentence naming the parameter and the value.
    pub message: String,
}

impl SearchError {
    pub fn new(code: SearchErrorCode, param: &str, value: &str, detail: &str) -> Self {
        Self {
            code,
            param: param.to_string(),
            value: value.to_string(),
            message: format!("{param}={value}: {detail}"),
        }
    }

    /// The stable snake_case code.
    pub fn code_str(&self) -> &'static str {
        self.code.as_str()
    }
}
