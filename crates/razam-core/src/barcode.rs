//! Code 128 (code set B) for the labels of boxes and shipments, drawn as inline SVG on the
//! server: no script, no font, nothing fetched. A symbol is six alternating bar and space
//! widths of one to four modules, eleven modules in all; the stop symbol has a seventh
//! element (a final two-module bar). Scanners read the widths, so the SVG draws each bar as
//! a rectangle whose width is a whole number of modules.

/// The bar/space widths of symbol values 0–106 (103–105 the start codes A, B, C; 106 stop).
pub const PATTERNS: [&str; 107] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213", "221312",
    "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132", "221231", "213212",
    "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211", "212123", "212321", "232121",
    "111323", "131123", "131321", "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331",
    "132131", "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131", "311123",
    "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111", "111224", "111422", "121124",
    "121421", "141122", "141221", "112214", "112412", "122114", "122411", "142112", "142211", "241211", "221114",
    "413111", "241112", "134111", "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112",
    "421211", "212141", "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
];

pub const START_B: usize = 104;
pub const STOP: usize = 106;
/// Modules of blank space before and after the bars (the quiet zone scanners need).
pub const QUIET_ZONE: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a label code holds only printable ASCII characters, not {0:?}")]
pub struct NotEncodable(pub char);

/// The symbol values of `text` in code set B: start, data, checksum, stop.
pub fn symbols(text: &str) -> Result<Vec<usize>, NotEncodable> {
    let mut values = vec![START_B];
    for c in text.chars() {
        if !(' '..='~').contains(&c) {
            return Err(NotEncodable(c));
        }
        values.push(c as usize - 32);
    }
    let checksum = values.iter().enumerate().map(|(i, v)| i.max(1) * v).sum::<usize>() % 103;
    values.push(checksum);
    values.push(STOP);
    Ok(values)
}

/// The element widths in modules, bar first, bars and spaces alternating.
pub fn widths(text: &str) -> Result<Vec<u8>, NotEncodable> {
    Ok(symbols(text)?
        .into_iter()
        .flat_map(|v| PATTERNS[v].bytes().map(|b| b - b'0'))
        .collect())
}

/// The barcode as an inline SVG: one `<rect>` per bar, `module` pixels per module, `height`
/// pixels tall, the quiet zone on both sides. The text is not drawn (the page prints it large).
pub fn svg(text: &str, module: u32, height: u32) -> Result<String, NotEncodable> {
    let widths = widths(text)?;
    let total: u32 = widths.iter().map(|w| u32::from(*w)).sum::<u32>() + 2 * QUIET_ZONE as u32;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"barcode\" role=\"img\" width=\"{w}\" height=\"{height}\" \
         viewBox=\"0 0 {total} {height}\" preserveAspectRatio=\"none\" shape-rendering=\"crispEdges\">\
         <rect width=\"{total}\" height=\"{height}\" fill=\"#fff\"/>",
        w = total * module,
    );
    let mut x = QUIET_ZONE as u32;
    for (i, w) in widths.iter().enumerate() {
        let w = u32::from(*w);
        if i % 2 == 0 {
            out.push_str(&format!(
                "<rect x=\"{x}\" width=\"{w}\" height=\"{height}\" fill=\"#000\"/>"
            ));
        }
        x += w;
    }
    out.push_str("</svg>");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_symbol_is_eleven_modules_with_even_bars_and_all_differ() {
        for (value, p) in PATTERNS.iter().enumerate() {
            let w: Vec<u32> = p.bytes().map(|b| u32::from(b - b'0')).collect();
            let expected = if value == STOP { 13 } else { 11 };
            assert_eq!(w.iter().sum::<u32>(), expected, "symbol {value}");
            assert!(w.iter().all(|w| (1..=4).contains(w)), "symbol {value}");
            // Code 128's parity: the bars of a symbol take an even number of modules.
            let bars: u32 = w.iter().step_by(2).take(3).sum();
            assert_eq!(bars % 2, 0, "symbol {value}");
        }
        let mut sorted = PATTERNS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), PATTERNS.len());
    }

    #[test]
    fn the_checksum_weights_each_position() {
        // "AB": start B 104, 'A' = 33 at 1, 'B' = 34 at 2: (104 + 33 + 68) mod 103 = 102.
        assert_eq!(symbols("AB").unwrap(), vec![104, 33, 34, 102, 106]);
        assert_eq!(symbols("é"), Err(NotEncodable('é')));
    }
}
