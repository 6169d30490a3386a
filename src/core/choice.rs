//! The token enums of the scenarios (solvers, cases, controllers, processes, …) behind one
//! trait: every value has a link token, a label and a one-sentence doc. The link parser, the
//! app's one combo widget and the glyph test all read them through it.

/// A closed set of choices with link tokens (see the module docs).
pub trait Choice: Copy + PartialEq + 'static {
    /// Every value, in menu order.
    const ALL: &'static [Self];
    /// The link token.
    fn key(self) -> &'static str;
    /// The name shown to people.
    fn label(self) -> &'static str;
    /// What it is, in a sentence (the tooltip).
    fn doc(self) -> &'static str;

    /// The value of link token `key`.
    fn from_key(key: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.key() == key)
    }

    /// Every link token, in menu order.
    fn keys() -> Vec<&'static str> {
        Self::ALL.iter().map(|c| c.key()).collect()
    }
}

/// Implements [`Choice`] for token enums with inherent `ALL`, `key`, `label` and `doc`.
#[macro_export]
macro_rules! impl_choice {
    ($($t:ty),* $(,)?) => {
        $(
            impl $crate::core::choice::Choice for $t {
                const ALL: &'static [Self] = &<$t>::ALL;
                fn key(self) -> &'static str {
                    <$t>::key(self)
                }
                fn label(self) -> &'static str {
                    <$t>::label(self)
                }
                fn doc(self) -> &'static str {
                    <$t>::doc(self)
                }
            }
        )*
    };
}
