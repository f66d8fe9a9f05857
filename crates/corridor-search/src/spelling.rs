//! One spelling for each English word, whichever side of the Atlantic wrote it.
//!
//! Catalogues and users mix British and American spellings (`analyser`/`analyzer`,
//! `colour`/`color`, `sulphur`/`sulfur`, `centre`/`center`, `ionisation`/`ionization`). The
//! same rules rewrite every word of the indexed text and of the query to one canonical form
//! (the American one), so a variant can never sink a query of several words, whatever its
//! neighbours. Because both sides go through the same rules, a rule that also rewrites a word
//! it was not meant for (`precise` → `precize`) does no harm: it merges the word only with its
//! own rewriting. What a rule must never do is merge two different words that a catalogue
//! uses; the tests below hold the few such traps (`four`, `hour`, `aerosol`).

use std::borrow::Cow;

use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// Whole words whose variants no suffix rule covers.
const WHOLE_WORDS: &[(&str, &str)] = &[
    ("aluminium", "aluminum"),
    ("caesium", "cesium"),
    ("grey", "gray"),
    ("mould", "mold"),
    ("moulds", "molds"),
    ("moulding", "molding"),
    ("programme", "program"),
    ("programmes", "programs"),
    ("licence", "license"),
    ("defence", "defense"),
    ("tyre", "tire"),
    ("tyres", "tires"),
    ("plough", "plow"),
    ("cheque", "check"),
    ("storey", "story"),
    ("kerb", "curb"),
    ("draught", "draft"),
    ("foetal", "fetal"),
    ("foetus", "fetus"),
];

/// The canonical (American) spelling of one lower-case word. Words of other scripts, and
/// words no rule touches, come back borrowed; a rewritten word comes back owned.
pub fn canonical_spelling(word: &str) -> Cow<'_, str> {
    if !word.is_ascii() || word.len() < 4 {
        return Cow::Borrowed(word);
    }
    if let Some((_, american)) = WHOLE_WORDS.iter().find(|(british, _)| *british == word) {
        return Cow::Owned((*american).to_owned());
    }
    let mut rewritten = Cow::Borrowed(word);
    for rule in RULES {
        if let Some(changed) = rule(&rewritten) {
            rewritten = Cow::Owned(changed);
        }
    }
    rewritten
}

type Rule = fn(&str) -> Option<String>;

/// Applied in order, each to the result of the ones before.
const RULES: &[Rule] = &[
    sulph_to_sulf,
    ae_and_oe_to_e,
    yse_to_yze,
    ise_to_ize,
    our_to_or,
    tre_to_ter,
    ogue_to_og,
    elling_to_eling,
];

/// The inflections a rewritten stem may carry: `analys|e`, `analys|er`, `analys|ing`…
const VERB_ENDINGS: &[&str] = &[
    "e", "es", "ed", "er", "ers", "ing", "ation", "ations", "ational",
];

/// `sulphur`, `sulphate`, `sulphide` → `sulf…`.
fn sulph_to_sulf(word: &str) -> Option<String> {
    word.contains("sulph")
        .then(|| word.replace("sulph", "sulf"))
}

/// `haem…`, `anaes…`, `paed…`, `oestrogen`, `oedema`: the Greek and Latin digraphs, where
/// they follow a consonant inside the word (`aerosol`, `aerospace` and `poem` keep theirs) or
/// open it (`oe` only: `oestrogen`).
fn ae_and_oe_to_e(word: &str) -> Option<String> {
    let bytes = word.as_bytes();
    let mut out = String::with_capacity(word.len());
    let mut changed = false;
    let mut index = 0;
    while index < bytes.len() {
        let pair = &bytes[index..(index + 2).min(bytes.len())];
        let after_consonant = index > 0 && !is_vowel(bytes[index - 1]);
        let replace = match pair {
            b"ae" => {
                after_consonant
                    && matches!(
                        bytes[index - 1],
                        b'h' | b'n' | b'p' | b'c' | b'k' | b'l' | b'f'
                    )
            }
            b"oe" => {
                (index == 0 && bytes.len() > 4 && matches!(bytes.get(2), Some(b's' | b'd')))
                    || (after_consonant && bytes[index - 1] == b'f')
            }
            _ => false,
        };
        if replace {
            out.push('e');
            index += 2;
            changed = true;
        } else {
            out.push(bytes[index] as char);
            index += 1;
        }
    }
    changed.then_some(out)
}

fn is_vowel(byte: u8) -> bool {
    matches!(byte, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

/// The stem before one of [`VERB_ENDINGS`], if `word` is `stem + marker + ending`.
fn split_before_ending<'a>(word: &'a str, marker: &str) -> Option<(&'a str, &'a str)> {
    VERB_ENDINGS.iter().find_map(|ending| {
        let stem = word.strip_suffix(ending)?.strip_suffix(marker)?;
        Some((stem, *ending))
    })
}

/// `analyse`, `analyser`, `analysing`, `catalysed`, `electrolyser` → `…yz…` (`analysis`
/// and `analyst` keep their `s`).
fn yse_to_yze(word: &str) -> Option<String> {
    let (stem, ending) = split_before_ending(word, "ys")?;
    (!stem.is_empty()).then(|| format!("{stem}yz{ending}"))
}

/// `ionise`, `ionisation`, `sterilised`, `optimiser`, `crystallisation` → `…iz…`, for stems
/// of three letters or more (`rise`, `wise` stay).
fn ise_to_ize(word: &str) -> Option<String> {
    let (stem, ending) = split_before_ending(word, "is")?;
    (stem.len() >= 3).then(|| format!("{stem}iz{ending}"))
}

/// `colour`, `vapours`, `flavoured`, `odour`, `behaviour` → `…or…`, when a consonant or an
/// `i` comes before `our` and the word has two letters or more before it (`four`, `hour`,
/// `your`, `pour` stay).
fn our_to_or(word: &str) -> Option<String> {
    ["our", "ours", "oured", "ouring", "ourless"]
        .iter()
        .find_map(|ending| {
            let stem = word.strip_suffix(ending)?;
            let last = *stem.as_bytes().last()?;
            (stem.len() >= 2 && (last == b'i' || !is_vowel(last)))
                .then(|| format!("{stem}or{}", &ending["our".len()..]))
        })
}

/// `centre`, `litres`, `millimetre`, `titre`, `fibre`, `calibre` → `…ter`/`…ber`.
fn tre_to_ter(word: &str) -> Option<String> {
    [
        ("tre", "ter"),
        ("tres", "ters"),
        ("bre", "ber"),
        ("bres", "bers"),
    ]
    .iter()
    .find_map(|(british, american)| {
        let stem = word.strip_suffix(british)?;
        (stem.len() >= 2).then(|| format!("{stem}{american}"))
    })
}

/// `catalogue`, `analogue`, `dialogues` → `…og`.
fn ogue_to_og(word: &str) -> Option<String> {
    ["ogue", "ogues"].iter().find_map(|ending| {
        let stem = word.strip_suffix(ending)?;
        (stem.len() >= 3).then(|| format!("{stem}og{}", &ending["ogue".len()..]))
    })
}

/// `modelling`, `labelled`, `travelling`, `channelled` → one `l`.
fn elling_to_eling(word: &str) -> Option<String> {
    [("elling", "eling"), ("elled", "eled"), ("eller", "eler")]
        .iter()
        .find_map(|(british, american)| {
            let stem = word.strip_suffix(british)?;
            (stem.len() >= 3).then(|| format!("{stem}{american}"))
        })
}

/// The tantivy token filter that writes each (lower-cased) token in its canonical spelling;
/// it runs before the stemmer, in the index and in queries alike.
#[derive(Clone)]
pub struct CanonicalSpelling;

impl TokenFilter for CanonicalSpelling {
    type Tokenizer<T: Tokenizer> = CanonicalSpellingFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> CanonicalSpellingFilter<T> {
        CanonicalSpellingFilter { tokenizer }
    }
}

#[derive(Clone)]
pub struct CanonicalSpellingFilter<T> {
    tokenizer: T,
}

impl<T: Tokenizer> Tokenizer for CanonicalSpellingFilter<T> {
    type TokenStream<'a> = CanonicalSpellingStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CanonicalSpellingStream {
            tail: self.tokenizer.token_stream(text),
        }
    }
}

pub struct CanonicalSpellingStream<T> {
    tail: T,
}

impl<T: TokenStream> TokenStream for CanonicalSpellingStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        if let Cow::Owned(canonical) = canonical_spelling(&self.tail.token().text) {
            self.tail.token_mut().text = canonical;
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_spelling;

    fn same(british: &str, american: &str) {
        assert_eq!(
            canonical_spelling(british),
            canonical_spelling(american),
            "{british} / {american}"
        );
    }

    #[test]
    fn british_and_american_spellings_meet() {
        for (british, american) in [
            ("analyser", "analyzer"),
            ("analysers", "analyzers"),
            ("analyse", "analyze"),
            ("analysing", "analyzing"),
            ("electrolyser", "electrolyzer"),
            ("ionisation", "ionization"),
            ("crystallisation", "crystallization"),
            ("sterilised", "sterilized"),
            ("optimiser", "optimizer"),
            ("colour", "color"),
            ("colours", "colors"),
            ("vapour", "vapor"),
            ("odour", "odor"),
            ("sulphur", "sulfur"),
            ("sulphate", "sulfate"),
            ("centre", "center"),
            ("litres", "liters"),
            ("millimetre", "millimeter"),
            ("fibre", "fiber"),
            ("catalogue", "catalog"),
            ("analogue", "analog"),
            ("modelling", "modeling"),
            ("labelled", "labeled"),
            ("haemoglobin", "hemoglobin"),
            ("anaesthesia", "anesthesia"),
            ("paediatric", "pediatric"),
            ("oestrogen", "estrogen"),
            ("oedema", "edema"),
            ("foetal", "fetal"),
            ("aluminium", "aluminum"),
            ("caesium", "cesium"),
            ("grey", "gray"),
            ("programme", "program"),
            ("behaviour", "behavior"),
            ("metre", "meter"),
            ("titre", "titer"),
            ("leukaemia", "leukemia"),
            ("palaeontology", "paleontology"),
        ] {
            same(british, american);
        }
    }

    #[test]
    fn words_that_only_look_british_keep_their_meaning() {
        for word in [
            "analysis",
            "analyst",
            "four",
            "hour",
            "your",
            "pour",
            "aerosol",
            "aerospace",
            "poem",
            "rise",
            "wise",
            "noise",
            "tour",
        ] {
            // Either untouched, or rewritten to a form no other catalogue word has.
            let canonical = canonical_spelling(word);
            assert!(
                !["for", "hor", "yor", "por", "erosol", "erospace", "pem", "rize", "wize"]
                    .contains(&canonical.as_ref()),
                "{word} became {canonical}"
            );
        }
        assert_eq!(canonical_spelling("analysis"), "analysis");
        assert_eq!(canonical_spelling("four"), "four");
        assert_eq!(canonical_spelling("aerosol"), "aerosol");
        assert_eq!(canonical_spelling("spectrometer"), "spectrometer");
        assert_eq!(canonical_spelling("质谱仪"), "质谱仪");
    }

    #[test]
    fn the_rules_are_idempotent() {
        for word in [
            "analyser",
            "colour",
            "sulphur",
            "centre",
            "ionisation",
            "catalogue",
            "modelling",
            "haemoglobin",
            "oestrogen",
            "thermogravimetric",
            "spectrometer",
            "chromatograph",
        ] {
            let once = canonical_spelling(word).into_owned();
            assert_eq!(canonical_spelling(&once), once, "{word}");
        }
    }
}
