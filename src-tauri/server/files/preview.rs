//! What a stored file really is, from its first bytes (never from its name or the sender's
//! claim), and, for the four raster formats browsers show, its size and a small preview made on
//! the host so history stays light for phones. Decoding runs under `image`'s limits: a
//! decompression bomb gets no preview and stays a plain download.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageFormat, ImageReader};

/// Longest side of a preview, in pixels.
pub const THUMB_SIDE: u32 = 320;
/// Largest image the host decodes for a preview, per side (a 16384-pixel panorama passes).
const MAX_SIDE: u32 = 16_384;
/// Most memory one decode may ask for (a 64-megapixel RGBA photo fits; a bomb does not).
const MAX_ALLOC: u64 = 256 << 20;

/// What the first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    /// The type the bytes prove, if the host knows the format.
    pub mime: Option<&'static str>,
    /// Set for PNG, JPEG, GIF and WebP: the formats shown inline (once decoded).
    pub raster: Option<ImageFormat>,
}

/// Reads a file's type from its magic bytes.
pub fn sniff(head: &[u8]) -> Sniffed {
    let raster = |mime, f| Sniffed {
        mime: Some(mime),
        raster: Some(f),
    };
    let other = |mime| Sniffed {
        mime: Some(mime),
        raster: None,
    };
    match head {
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => {
            raster("image/png", ImageFormat::Png)
        }
        [0xFF, 0xD8, 0xFF, ..] => raster("image/jpeg", ImageFormat::Jpeg),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => raster("image/gif", ImageFormat::Gif),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => raster("image/webp", ImageFormat::WebP),
        [b'%', b'P', b'D', b'F', b'-', ..] => other("application/pdf"),
        [b'P', b'K', 0x03, 0x04, ..] => other("application/zip"),
        [0x1F, 0x8B, ..] => other("application/gzip"),
        [b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C, ..] => other("application/x-7z-compressed"),
        _ => Sniffed {
            mime: None,
            raster: None,
        },
    }
}

/// The first bytes of a file (enough for [`sniff`]).
pub fn head_of(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(16);
    std::fs::File::open(path)?.take(16).read_to_end(&mut head)?;
    Ok(head)
}

/// The type a file message announces: the sniffed one, or else the sender's claim unless it
/// claims an image the bytes do not back, or else `application/octet-stream`.
pub fn announced_mime(sniffed: &Sniffed, claim: Option<&str>) -> String {
    if let Some(m) = sniffed.mime {
        return m.to_owned();
    }
    match claim {
        Some(c) if !c.starts_with("image/") => c.to_owned(),
        _ => "application/octet-stream".to_owned(),
    }
}

/// A decoded image's size and its preview's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub width: u32,
    pub height: u32,
    pub thumb: PathBuf,
}

/// The preview of `content` in `thumbs` (`<sha256>.jpg`, or `.png` for images with
/// transparency), made if it is not there yet. `None` when the image does not decode within the
/// limits (a bomb, a broken file): it is then a plain download.
pub fn preview(
    content: &Path,
    format: ImageFormat,
    thumbs: &Path,
    sha256: &str,
) -> Option<Preview> {
    if let Some(thumb) = existing_thumb(thumbs, sha256) {
        let (width, height) = reader(content, format).ok()?.into_dimensions().ok()?;
        return Some(Preview {
            width,
            height,
            thumb,
        });
    }
    let img = match reader(content, format).and_then(|r| r.decode()) {
        Ok(img) => img,
        Err(e) => {
            tracing::info!("no preview for {sha256}: {e}");
            return None;
        }
    };
    let (width, height) = (img.width(), img.height());
    let small = img.thumbnail(THUMB_SIDE, THUMB_SIDE);
    let thumb = match write_thumb(&small, thumbs, sha256) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("writing the preview of {sha256}: {e}");
            return None;
        }
    };
    Some(Preview {
        width,
        height,
        thumb,
    })
}

/// A preview already made for this content (the same file shared again).
pub fn existing_thumb(thumbs: &Path, sha256: &str) -> Option<PathBuf> {
    ["jpg", "png"]
        .into_iter()
        .map(|ext| thumbs.join(format!("{sha256}.{ext}")))
        .find(|p| p.is_file())
}

fn reader(
    content: &Path,
    format: ImageFormat,
) -> image::ImageResult<ImageReader<BufReader<std::fs::File>>> {
    let mut r = ImageReader::new(BufReader::new(std::fs::File::open(content)?));
    r.set_format(format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    r.limits(limits);
    Ok(r)
}

/// Writes the preview next to the others (via a temporary name, so a half-written one is never
/// served).
fn write_thumb(img: &DynamicImage, thumbs: &Path, sha256: &str) -> image::ImageResult<PathBuf> {
    std::fs::create_dir_all(thumbs)?;
    let (ext, format) = if img.color().has_alpha() {
        ("png", ImageFormat::Png)
    } else {
        ("jpg", ImageFormat::Jpeg)
    };
    let tmp = thumbs.join(format!("{sha256}.{ext}.tmp"));
    let path = thumbs.join(format!("{sha256}.{ext}"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    match format {
        ImageFormat::Jpeg => {
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80);
            img.to_rgb8().write_with_encoder(enc)?;
        }
        _ => img.write_to(&mut out, format)?,
    }
    std::io::Write::flush(&mut out)?;
    drop(out);
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The type comes from the bytes: an HTML page or SVG claiming to be a PNG is not an image.
    #[test]
    fn types_come_from_magic_bytes_not_claims() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(sniff(png).raster, Some(ImageFormat::Png));
        assert_eq!(sniff(b"GIF89a....").mime, Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").mime, Some("image/webp"));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0").mime, Some("image/jpeg"));
        for fake in [&b"<html><script>"[..], b"<svg xmlns=", b"", b"\x89PN"] {
            let s = sniff(fake);
            assert_eq!((s.mime, s.raster), (None, None), "{fake:?}");
            assert_eq!(
                announced_mime(&s, Some("image/png")),
                "application/octet-stream"
            );
        }
        assert_eq!(
            announced_mime(&sniff(b"hello"), Some("text/plain")),
            "text/plain"
        );
        assert_eq!(
            announced_mime(&sniff(b"%PDF-1.7"), Some("image/png")),
            "application/pdf"
        );
    }

    /// A real image gets its size and a preview of at most 320 px a side; one whose header
    /// claims 50,000 × 50,000 pixels gets neither, quickly.
    #[test]
    fn previews_are_made_within_limits() {
        let dir = tempfile::tempdir().unwrap();
        let img = image::RgbImage::from_fn(640, 400, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let src = dir.path().join("src");
        img.save_with_format(&src, ImageFormat::Png).unwrap();
        let thumbs = dir.path().join("thumbs");
        let p = preview(&src, ImageFormat::Png, &thumbs, "h1").unwrap();
        assert_eq!((p.width, p.height), (640, 400));
        assert!(p.thumb.ends_with("h1.jpg"));
        let t = image::open(&p.thumb).unwrap();
        assert_eq!((t.width(), t.height()), (320, 200));
        assert_eq!(preview(&src, ImageFormat::Png, &thumbs, "h1"), Some(p));

        let bomb = dir.path().join("bomb");
        std::fs::write(&bomb, png_header(50_000, 50_000)).unwrap();
        assert_eq!(preview(&bomb, ImageFormat::Png, &thumbs, "h2"), None);
        assert_eq!(existing_thumb(&thumbs, "h2"), None);
    }

    /// A PNG signature and IHDR chunk claiming `w` × `h` RGBA pixels, and nothing else.
    pub fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend(w.to_be_bytes());
        ihdr.extend(h.to_be_bytes());
        ihdr.extend([8, 6, 0, 0, 0]);
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        out.extend(13u32.to_be_bytes());
        out.extend(&ihdr);
        out.extend(crc32(&ihdr).to_be_bytes());
        out
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in data {
            c ^= b as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
}
