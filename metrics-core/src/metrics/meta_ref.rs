//! How a metric reaches its metadata: statics borrow it, metrics built at
//! run time share it, a child of a family has its [`Liveness`], and a
//! family's overflow series the count of its updates.

use std::sync::Arc;

use crate::meta::Meta;
use crate::metrics::counter::Counter;
use crate::metrics::liveness::Liveness;

/// How a metric reaches its metadata: statics borrow it, metrics built at
/// run time share it; children of a family have none of their own, but
/// their liveness, and a family's overflow series the count of its
/// updates.
pub(crate) enum MetaRef {
    /// No metadata, no liveness (a family's internal tally).
    None,
    Static(&'static Meta),
    Shared(Arc<Meta>),
    /// A child of a family.
    Child(Liveness),
    /// The overflow series of a family past its `max_series`: every
    /// update is counted in the tally the registry exposes.
    Overflow(Arc<Counter>),
}

impl Clone for MetaRef {
    fn clone(&self) -> Self {
        match self {
            MetaRef::None => MetaRef::None,
            MetaRef::Static(m) => MetaRef::Static(m),
            MetaRef::Shared(m) => MetaRef::Shared(Arc::clone(m)),
            MetaRef::Child(_) => MetaRef::Child(Liveness::new()),
            MetaRef::Overflow(t) => MetaRef::Overflow(Arc::clone(t)),
        }
    }
}

impl std::fmt::Debug for MetaRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetaRef::None => f.write_str("None"),
            MetaRef::Static(m) => f.debug_tuple("Static").field(&m.name()).finish(),
            MetaRef::Shared(m) => f.debug_tuple("Shared").field(&m.name()).finish(),
            MetaRef::Child(l) => f.debug_tuple("Child").field(l).finish(),
            MetaRef::Overflow(_) => f.write_str("Overflow"),
        }
    }
}

impl MetaRef {
    /// The metadata of a child: a fresh liveness, touched.
    pub(crate) const fn child() -> Self {
        MetaRef::Child(Liveness::new())
    }

    pub(crate) fn get(&self) -> Option<&Meta> {
        match self {
            MetaRef::Static(m) => Some(m),
            MetaRef::Shared(m) => Some(m),
            MetaRef::None | MetaRef::Child(_) | MetaRef::Overflow(_) => None,
        }
    }

    pub(crate) fn name(&self) -> &str {
        self.get().map(Meta::name).unwrap_or("")
    }

    /// A child's liveness.
    pub(crate) fn liveness(&self) -> Option<&Liveness> {
        match self {
            MetaRef::Child(l) => Some(l),
            _ => None,
        }
    }

    /// What every update calls once it has written its value: nothing for
    /// an unlabelled metric; for a child, one load (and a write once per
    /// sweep, or to bring an expired series back); for an overflow series,
    /// one increment of the family's tally.
    #[inline(always)]
    pub(crate) fn touch(&self) {
        match self {
            MetaRef::Child(l) => l.touch(),
            MetaRef::Overflow(tally) => tally.inc(),
            _ => {}
        }
    }
}
