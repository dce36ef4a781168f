//! A small reader for NumPy `.npz` archives (zip of `.npy` files): the numeric and boolean arrays `mien eval`
//! needs. String arrays are not supported (and not needed: `split_code` replaces `split`).

use std::{io::Read, path::Path};

use anyhow::{Context, Result, bail};

/// One array: its shape and its values widened to `i64` (u8, i8, bool, i32, u16, i16 and u32 are accepted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Array {
    pub shape: Vec<usize>,
    pub data: Vec<i64>,
}

/// Upper bound on one array (the 32,298 x 48 x 48 FER2013 images are 74 MB).
const MAX_BYTES: u64 = 1 << 30;

pub struct Npz {
    archive: zip::ZipArchive<std::fs::File>,
}

impl Npz {
    pub fn open(path: &Path) -> Result<Self> {
        let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let archive =
            zip::ZipArchive::new(f).with_context(|| format!("{} is not an .npz (zip) archive", path.display()))?;
        Ok(Self { archive })
    }

    pub fn has(&self, name: &str) -> bool {
        self.archive.file_names().any(|n| n.is_ok_and(|n| n == format!("{name}.npy")))
    }

    pub fn array(&mut self, name: &str) -> Result<Array> {
        let mut entry = self.archive.by_name(&format!("{name}.npy")).with_context(|| format!("no array `{name}`"))?;
        if entry.size() > MAX_BYTES {
            bail!("array `{name}` is too large ({} bytes)", entry.size());
        }
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut bytes)?;
        parse_npy(&bytes).with_context(|| format!("array `{name}`"))
    }
}

/// Parse one `.npy` file (format versions 1-3, C order).
pub fn parse_npy(b: &[u8]) -> Result<Array> {
    if b.len() < 10 || &b[..6] != b"\x93NUMPY" {
        bail!("not a .npy file");
    }
    let (header_len, start) = match b[6] {
        1 => (u16::from_le_bytes([b[8], b[9]]) as usize, 10),
        2 | 3 if b.len() >= 12 => (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12),
        v => bail!("unsupported .npy version {v}"),
    };
    let header = std::str::from_utf8(b.get(start..start + header_len).context("truncated header")?)?;
    let field = |key: &str| -> Result<&str> {
        let i = header.find(&format!("'{key}':")).with_context(|| format!("header has no {key}"))?;
        Ok(header[i + key.len() + 3..].trim_start())
    };
    let descr = field("descr")?;
    let descr = descr.split('\'').nth(1).context("bad descr")?;
    if field("fortran_order")?.starts_with("True") {
        bail!("Fortran-ordered arrays are not supported");
    }
    let shape_txt = field("shape")?;
    let shape_txt = &shape_txt[1..shape_txt.find(')').context("bad shape")?];
    let shape: Vec<usize> =
        shape_txt.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::parse).collect::<Result<_, _>>()?;
    let count: usize = shape.iter().product();
    let body = &b[start + header_len..];
    let (size, read): (usize, fn(&[u8]) -> i64) = match descr {
        "|u1" => (1, |c| i64::from(c[0])),
        "|i1" => (1, |c| i64::from(c[0] as i8)),
        "|b1" => (1, |c| i64::from(c[0] != 0)),
        "<i2" => (2, |c| i64::from(i16::from_le_bytes([c[0], c[1]]))),
        "<u2" => (2, |c| i64::from(u16::from_le_bytes([c[0], c[1]]))),
        "<i4" => (4, |c| i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]]))),
        "<u4" => (4, |c| i64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]]))),
        other => bail!("unsupported dtype {other}"),
    };
    if body.len() < count * size {
        bail!("truncated data: {} bytes for {count} values of {size} bytes", body.len());
    }
    Ok(Array { shape, data: body[..count * size].chunks_exact(size).map(read).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, shape: &str, body: &[u8]) -> Vec<u8> {
        let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn parses_the_dtypes_mien_eval_reads() {
        let a = parse_npy(&npy("|u1", "(2, 3)", &[1, 2, 3, 4, 5, 255])).expect("u1");
        assert_eq!((a.shape, a.data), (vec![2, 3], vec![1, 2, 3, 4, 5, 255]));
        let a = parse_npy(&npy("|i1", "(2,)", &[0xff, 3])).expect("i1");
        assert_eq!(a.data, vec![-1, 3]);
        let a = parse_npy(&npy("|b1", "(2,)", &[0, 1])).expect("b1");
        assert_eq!(a.data, vec![0, 1]);
        let a = parse_npy(&npy("<i4", "(1,)", &(-7i32).to_le_bytes())).expect("i4");
        assert_eq!(a.data, vec![-7]);
        assert!(parse_npy(&npy("<U11", "(1,)", &[0; 44])).is_err());
        assert!(parse_npy(&npy("|u1", "(4,)", &[1, 2])).is_err(), "truncated");
        assert!(parse_npy(b"garbage").is_err());
    }
}
