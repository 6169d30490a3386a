//! The fonts of the UI: egui's defaults (Ubuntu Light for text, Hack for numbers and code, and
//! egui's five icons) cut to the Unicode blocks the app writes in by `scripts/subset-fonts.sh`
//! (Latin, Greek, punctuation, super- and subscripts, arrows, mathematical operators…). The
//! whole fonts were 670 kB of the page (320 kB gzipped); these are 330 kB (160 kB). The UI
//! tests install the same fonts, so a label with a glyph outside them fails a test, not a user.

use std::sync::Arc;

use egui::{FontData, FontDefinitions, FontFamily, FontTweak};

const UBUNTU_LIGHT: &[u8] = include_bytes!("../../assets/fonts/Ubuntu-Light.subset.ttf");
const HACK: &[u8] = include_bytes!("../../assets/fonts/Hack-Regular.subset.ttf");
const EGUI_ICONS: &[u8] = include_bytes!("../../assets/fonts/egui-icons.ttf");

/// The font definitions: those of egui's `default_fonts` feature, with the cut fonts.
pub fn definitions() -> FontDefinitions {
    let mut fonts = FontDefinitions::empty();
    fonts
        .font_data
        .insert("Hack".to_owned(), Arc::new(FontData::from_static(HACK)));
    fonts.font_data.insert(
        "Ubuntu-Light".to_owned(),
        Arc::new(FontData::from_static(UBUNTU_LIGHT)),
    );
    // egui's own scale for its icons (epaint's FontDefinitions::default).
    fonts.font_data.insert(
        "egui-icons".to_owned(),
        Arc::new(FontData::from_static(EGUI_ICONS).tweak(FontTweak {
            scale: 0.90,
            ..Default::default()
        })),
    );
    let family = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
    fonts.families.insert(
        FontFamily::Monospace,
        // Ubuntu Light after Hack for the symbols Hack lacks (√ …), as egui does.
        family(&["Hack", "Ubuntu-Light", "egui-icons"]),
    );
    fonts.families.insert(
        FontFamily::Proportional,
        family(&["Ubuntu-Light", "egui-icons"]),
    );
    fonts
}

/// Gives `ctx` the UI's fonts (from its next pass on).
pub fn install(ctx: &egui::Context) {
    ctx.set_fonts(definitions());
}
