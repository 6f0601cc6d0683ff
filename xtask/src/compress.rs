//! Precompression of the build: a `.br` (brotli, quality 11) and a `.gz` (gzip, level 9)
//! sibling beside every compressible file of `dist/`, which colloquy-server sends to clients
//! that accept them (tower-http ServeDir's `precompressed_br`/`precompressed_gzip`).

use std::io::Write;
use std::path::Path;

/// Extensions worth compressing (images other than SVG and fonts are compressed already).
const COMPRESSIBLE: &[&str] = &["js", "mjs", "wasm", "css", "html", "svg", "json", "ts", "txt", "map"];

/// Writes the siblings of every compressible file under `dir` (a sibling that would not be
/// smaller is not written). Returns (files, bytes before, brotli bytes after).
pub fn precompress(dir: &Path) -> Result<(usize, u64, u64), String> {
    let mut totals = (0, 0, 0);
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            let (n, before, after) = precompress(&path)?;
            totals = (totals.0 + n, totals.1 + before, totals.2 + after);
            continue;
        }
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
        if !COMPRESSIBLE.contains(&ext) {
            continue;
        }
        let data = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut br = Vec::new();
        let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 24, ..Default::default() };
        brotli::BrotliCompress(&mut &data[..], &mut br, &params).map_err(|e| e.to_string())?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&data).map_err(|e| e.to_string())?;
        let gz = gz.finish().map_err(|e| e.to_string())?;
        for (suffix, bytes) in [("br", &br), ("gz", &gz)] {
            let sibling = path.with_file_name(format!("{name}.{suffix}"));
            if bytes.len() < data.len() {
                std::fs::write(&sibling, bytes).map_err(|e| format!("{}: {e}", sibling.display()))?;
            } else {
                let _ = std::fs::remove_file(&sibling);
            }
        }
        totals = (totals.0 + 1, totals.1 + data.len() as u64, totals.2 + br.len().min(data.len()) as u64);
    }
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn siblings_decompress_to_the_original_and_dotfiles_are_skipped() {
        let dir = std::env::temp_dir().join(format!("colloquy-precompress-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("demo")).unwrap();
        let js = "console.log('hello');\n".repeat(100);
        std::fs::write(dir.join("demo/app.js"), &js).unwrap();
        std::fs::write(dir.join(".trunk-lock"), "x".repeat(1000)).unwrap();
        std::fs::write(dir.join("photo.png"), "x".repeat(1000)).unwrap();
        let (files, before, after) = precompress(&dir).unwrap();
        assert_eq!((files, before as usize), (1, js.len()));
        assert!(after < before / 10);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &std::fs::read(dir.join("demo/app.js.br")).unwrap()[..], &mut out).unwrap();
        assert_eq!(out, js.as_bytes());
        let mut gunzip = String::new();
        let gz = std::fs::read(dir.join("demo/app.js.gz")).unwrap();
        flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut gunzip).unwrap();
        assert_eq!(gunzip, js);
        assert!(!dir.join(".trunk-lock.br").exists() && !dir.join("photo.png.br").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
