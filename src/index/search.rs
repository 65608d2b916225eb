//! From a [`SearchQuery`] to sorted resource ids: typed tantivy queries per filter (never the
//! query-string parser), a collector of every hit, exact confirmation of the superset date
//! filters on the stored `(lo, hi)` pairs, and the `_sort` order of [`compare`].
//!
//! [`compare`]: crate::fhir::search::compare

use std::cmp::Ordering;
use std::ops::Bound;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::{BooleanQuery, EmptyQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader, Term};

use super::schema::Fields;
use crate::fhir::search::date::DateRange;
use crate::fhir::search::eval::date_matches;
use crate::fhir::search::{
    candidate_terms, Condition, DateBounds, DateParam, Filter, IndexQuery, SearchQuery, SortSpec,
};

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::Basic,
    ))
}

/// Documents holding any of `terms` in `field`.
fn any_term(field: Field, terms: &[String]) -> Box<dyn Query> {
    match terms {
        [] => Box::new(EmptyQuery),
        [one] => term_query(field, one),
        many => Box::new(BooleanQuery::union(
            many.iter().map(|t| term_query(field, t)).collect(),
        )),
    }
}

/// Documents with some value of the i64 fast field inside the inclusive range.
fn range(field: Field, (a, b): (i64, i64)) -> Option<Box<dyn Query>> {
    (a <= b).then(|| {
        Box::new(RangeQuery::new(
            Bound::Included(Term::from_field_i64(field, a)),
            Bound::Included(Term::from_field_i64(field, b)),
        )) as Box<dyn Query>
    })
}

/// The clause of one filter: `(occur, query)` to be combined with the others by AND.
fn filter_clause(fields: &Fields, iq: &IndexQuery) -> (Occur, Box<dyn Query>) {
    match iq {
        IndexQuery::AnyTerm {
            field,
            terms,
            negate,
        } => {
            let q = match fields.term_field(field) {
                Some(f) => any_term(f, terms),
                None => Box::new(EmptyQuery),
            };
            (if *negate { Occur::MustNot } else { Occur::Must }, q)
        }
        IndexQuery::Missing { field, missing } => {
            let q = term_query(fields.present, field);
            (
                if *missing {
                    Occur::MustNot
                } else {
                    Occur::Must
                },
                q,
            )
        }
        IndexQuery::Dates { field, bounds } => {
            let Some(d) = fields.date_fields(field) else {
                return (Occur::Must, Box::new(EmptyQuery));
            };
            let alternatives: Vec<Box<dyn Query>> = bounds
                .iter()
                .filter_map(|b: &DateBounds| {
                    let mut parts: Vec<Box<dyn Query>> = Vec::with_capacity(2);
                    if let Some(r) = b.lo {
                        parts.push(range(d.lo, r)?);
                    }
                    if let Some(r) = b.hi {
                        parts.push(range(d.hi, r)?);
                    }
                    Some(match parts.len() {
                        0 => term_query(fields.present, field),
                        1 => parts.remove(0),
                        _ => Box::new(BooleanQuery::intersection(parts)),
                    })
                })
                .collect();
            let q: Box<dyn Query> = match alternatives.len() {
                0 => Box::new(EmptyQuery),
                1 => alternatives
                    .into_iter()
                    .next()
                    .unwrap_or(Box::new(EmptyQuery)),
                _ => Box::new(BooleanQuery::union(alternatives)),
            };
            (Occur::Must, q)
        }
    }
}

/// The tantivy query of a search, and the filters the index answers only as a superset.
pub fn build<'q>(
    fields: &Fields,
    query: &'q SearchQuery,
    now_ms: i64,
) -> (Box<dyn Query>, Vec<&'q Filter>) {
    let mut clauses = Vec::with_capacity(query.filters.len() + 1);
    let mut confirm = Vec::new();
    let mut typed = false;
    for f in &query.filters {
        let iq = candidate_terms(f, now_ms);
        if !iq.is_exact() {
            confirm.push(f);
        }
        let (occur, q) = filter_clause(fields, &iq);
        // A required value of a parameter only this type has implies the type: the `type`
        // clause (every document of the type) would only slow the intersection down.
        typed |= occur == Occur::Must && fields.exclusive_to(f.param.code, query.resource_type);
        clauses.push((occur, q));
    }
    if !typed {
        clauses.push((Occur::Must, term_query(fields.ty, query.resource_type)));
    }
    (Box::new(BooleanQuery::new(clauses)), confirm)
}

/// Collects every matching doc id, per segment.
pub struct AllDocs;

pub struct SegmentDocs {
    segment: SegmentOrdinal,
    docs: Vec<DocId>,
}

impl Collector for AllDocs {
    type Fruit = Vec<(SegmentOrdinal, Vec<DocId>)>;
    type Child = SegmentDocs;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        _reader: &SegmentReader,
    ) -> tantivy::Result<SegmentDocs> {
        Ok(SegmentDocs {
            segment,
            docs: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        fruits: Vec<(SegmentOrdinal, Vec<DocId>)>,
    ) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.into_iter().filter(|(_, d)| !d.is_empty()).collect())
    }
}

impl SegmentCollector for SegmentDocs {
    type Fruit = (SegmentOrdinal, Vec<DocId>);

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.docs.push(doc);
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        self.docs.extend_from_slice(docs);
    }

    fn harvest(self) -> Self::Fruit {
        (self.segment, self.docs)
    }
}

/// The stored `(lo, hi)` pair as the range it came from (`hi` is inclusive, open above at MAX).
fn pair_range(lo: i64, hi: i64) -> DateRange {
    DateRange {
        start: lo,
        end: if hi == i64::MAX { i64::MAX } else { hi + 1 },
    }
}

/// The columns one superset date filter is confirmed on, in one segment.
pub struct Confirm<'q> {
    /// `None`: not a date filter (the index cannot confirm it).
    params: Option<&'q [DateParam]>,
    lo: Option<Column<i64>>,
    hi: Option<Column<i64>>,
}

/// Outcome of confirming one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Match,
    NoMatch,
    /// The index cannot tell (not a date filter, or unusable stored pairs): ask the store.
    Unknown,
}

impl<'q> Confirm<'q> {
    pub fn open(
        fields: &Fields,
        reader: &SegmentReader,
        filter: &'q Filter,
    ) -> tantivy::Result<Self> {
        let params = match &filter.condition {
            Condition::Date(p) => Some(p.as_slice()),
            _ => None,
        };
        let (lo, hi) = match fields.date_fields(filter.param.code) {
            Some(d) => (
                reader.fast_fields().column_opt::<i64>(&d.lo_name)?,
                reader.fast_fields().column_opt::<i64>(&d.hi_name)?,
            ),
            None => (None, None),
        };
        Ok(Confirm { params, lo, hi })
    }

    /// Exactly [`crate::fhir::search::eval::filter_matches`] for a date filter, evaluated on
    /// the stored pairs with the reference `date_matches`.
    pub fn check(&self, doc: DocId, now_ms: i64, buf: &mut Vec<i64>) -> Verdict {
        let Some(params) = self.params else {
            return Verdict::Unknown;
        };
        let (lo, hi) = match (&self.lo, &self.hi) {
            (Some(lo), Some(hi)) => (lo, hi),
            // No document of the segment has a value: a date filter cannot match.
            (None, None) => return Verdict::NoMatch,
            _ => return Verdict::Unknown,
        };
        buf.clear();
        buf.extend(lo.values_for_doc(doc));
        let mut n = 0;
        let mut hit = false;
        for (i, h) in hi.values_for_doc(doc).enumerate() {
            n += 1;
            if let Some(&l) = buf.get(i) {
                let r = pair_range(l, h);
                hit = hit || params.iter().any(|p| date_matches(&r, p, now_ms));
            }
        }
        if n != buf.len() {
            Verdict::Unknown
        } else if hit {
            Verdict::Match
        } else {
            Verdict::NoMatch
        }
    }
}

/// One result: its id and the `_sort` keys (one per sort spec; `None` for `_id` or no value).
pub struct Hit {
    pub id: String,
    pub keys: Vec<Option<i64>>,
}

/// The sort-key columns of one segment, one per sort spec.
pub fn sort_columns(
    fields: &Fields,
    reader: &SegmentReader,
    sort: &[SortSpec],
) -> tantivy::Result<Vec<Option<Column<i64>>>> {
    sort.iter()
        .map(|s| match fields.sort_column(s.param) {
            Some(name) if s.param != "_id" => reader.fast_fields().column_opt::<i64>(name),
            _ => Ok(None),
        })
        .collect()
}

/// The id of a document.
pub fn read_id(ids: &StrColumn, doc: DocId, out: &mut String) -> std::io::Result<bool> {
    out.clear();
    match ids.ords().first(doc) {
        Some(ord) => ids.ord_to_str(ord, out),
        None => Ok(false),
    }
}

/// Fills in the ids of `hits` from `(term ordinal, hit index)` pairs, reading the dictionary
/// once in ordinal order (a lookup per hit would decode a dictionary block each time).
pub fn resolve_ids(
    ids: &StrColumn,
    pending: &mut [(u64, usize)],
    hits: &mut [Hit],
) -> std::io::Result<()> {
    pending.sort_unstable();
    let ords: Vec<u64> = pending.iter().map(|(o, _)| *o).collect();
    let mut next = pending.iter();
    let complete = ids.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
        if let Some((_, i)) = next.next() {
            hits[*i].id = String::from_utf8_lossy(bytes).into_owned();
        }
    })?;
    if complete {
        Ok(())
    } else {
        Err(std::io::Error::other("id ordinal outside the dictionary"))
    }
}

/// The order of [`crate::fhir::search::compare`] on hits: per spec `_id` or the date key
/// (missing last in either direction), then the id.
pub fn compare_hits(a: &Hit, b: &Hit, sort: &[SortSpec]) -> Ordering {
    crate::fhir::search::extract::compare_by(
        sort,
        (&a.id, |i, _: &SortSpec| a.keys.get(i).copied().flatten()),
        (&b.id, |i, _: &SortSpec| b.keys.get(i).copied().flatten()),
    )
}
