//! The launcher function's code: a Python handler embedded in the provider
//! and zipped byte-for-byte reproducibly (fixed timestamp and attributes, no
//! compression), so the same provider always uploads the same bytes and the
//! code hash in state never changes without a reason.

use base64::Engine;

pub const SOURCE: &str = include_str!("launcher.py");
pub const FILE_NAME: &str = "launcher.py";
pub const HANDLER: &str = "launcher.handler";
pub const RUNTIME: &str = "python3.12";
pub const TIMEOUT_SECONDS: i32 = 60;
pub const MEMORY_MB: i32 = 128;

/// CRC-32 (IEEE 802.3), as zip requires.
pub fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

/// 1980-01-01 00:00:00 in MS-DOS date format (the zip epoch).
const DOS_DATE: u16 = (1 << 5) | 1;
const VERSION: u16 = 20;
/// Regular file, rw-r--r--.
const UNIX_MODE: u32 = 0o100_644;

/// A zip archive of stored (uncompressed) files, in the order given.
pub fn zip_files(files: &[(&str, &[u8])]) -> Vec<u8> {
    let u16le = |o: &mut Vec<u8>, v: u16| o.extend_from_slice(&v.to_le_bytes());
    let u32le = |o: &mut Vec<u8>, v: u32| o.extend_from_slice(&v.to_le_bytes());
    // Sizes fit: the handler and its launch document are kilobytes.
    let len32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let len16 = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
    let mut out = Vec::new();
    let mut offsets = Vec::with_capacity(files.len());
    for (name, data) in files {
        offsets.push(len32(out.len()));
        u32le(&mut out, 0x0403_4b50);
        u16le(&mut out, VERSION);
        u16le(&mut out, 0); // flags
        u16le(&mut out, 0); // stored
        u16le(&mut out, 0); // time
        u16le(&mut out, DOS_DATE);
        u32le(&mut out, crc32(data));
        u32le(&mut out, len32(data.len()));
        u32le(&mut out, len32(data.len()));
        u16le(&mut out, len16(name.len()));
        u16le(&mut out, 0); // extra
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
    }
    let cd_offset = len32(out.len());
    for ((name, data), offset) in files.iter().zip(&offsets) {
        u32le(&mut out, 0x0201_4b50);
        u16le(&mut out, (3 << 8) | VERSION); // made by: Unix
        u16le(&mut out, VERSION);
        u16le(&mut out, 0);
        u16le(&mut out, 0);
        u16le(&mut out, 0);
        u16le(&mut out, DOS_DATE);
        u32le(&mut out, crc32(data));
        u32le(&mut out, len32(data.len()));
        u32le(&mut out, len32(data.len()));
        u16le(&mut out, len16(name.len()));
        u16le(&mut out, 0); // extra
        u16le(&mut out, 0); // comment
        u16le(&mut out, 0); // disk
        u16le(&mut out, 0); // internal attributes
        u32le(&mut out, UNIX_MODE << 16);
        u32le(&mut out, *offset);
        out.extend_from_slice(name.as_bytes());
    }
    let cd_size = len32(out.len()) - cd_offset;
    u32le(&mut out, 0x0605_4b50);
    u16le(&mut out, 0);
    u16le(&mut out, 0);
    u16le(&mut out, len16(files.len()));
    u16le(&mut out, len16(files.len()));
    u32le(&mut out, cd_size);
    u32le(&mut out, cd_offset);
    u16le(&mut out, 0);
    out
}

/// Name of the pinned launch document inside the package.
pub const LAUNCH_FILE: &str = "launch.json";

/// The deployment package: the handler and the launch it may perform,
/// fixed at plan (so the code hash pins both).
pub fn package(launch: &serde_json::Value) -> Vec<u8> {
    let doc = crate::canonical::text(launch);
    zip_files(&[
        (FILE_NAME, SOURCE.as_bytes()),
        (LAUNCH_FILE, doc.as_bytes()),
    ])
}

/// Base64 SHA-256 of a package: what Lambda reports as CodeSha256.
pub fn code_sha256(package: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, package);
    base64::engine::general_purpose::STANDARD.encode(d.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bitwise CRC-32 the zip writer used before crc32fast.
    fn crc32_bitwise(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for b in data {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                let mask = (crc & 1).wrapping_neg();
                crc = (crc >> 1) ^ (0xedb8_8320 & mask);
            }
        }
        !crc
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414f_a339
        );
        // The same as the hand-written one for every length around the
        // crate's SIMD block sizes, and for the real handler.
        let data: Vec<u8> = (0..=1024u32)
            .map(|i| (i.wrapping_mul(31) % 251) as u8)
            .collect();
        for n in 0..data.len() {
            assert_eq!(crc32(&data[..n]), crc32_bitwise(&data[..n]), "length {n}");
        }
        assert_eq!(crc32(SOURCE.as_bytes()), crc32_bitwise(SOURCE.as_bytes()));
    }

    #[test]
    fn package_bytes_are_pinned() {
        // The code hash in state of every launch function with a launcher is
        // this digest for its launch document: it must never change silently.
        let launch = serde_json::json!({"ClusterName": "x", "Namespace": "analytics"});
        assert_eq!(
            code_sha256(&package(&launch)),
            "ZY3XUME3PCOWi+78NV8k/IweykitzfjZzzrCmiUIi98="
        );
        assert_eq!(
            code_sha256(&zip_files(&[("a.txt", b"hello\n"), ("b/c.json", b"{}")])),
            "3r47Zb9rkTq5cIegcmMZcv+Mv6iHotqElFXVsRRgfnQ="
        );
    }

    #[test]
    fn package_is_reproducible_and_well_formed() {
        let launch = serde_json::json!({"ClusterName": "x"});
        let a = package(&launch);
        let b = package(&launch);
        assert_ne!(
            code_sha256(&a),
            code_sha256(&package(&serde_json::json!({"ClusterName": "y"})))
        );
        assert_eq!(a, b);
        assert_eq!(code_sha256(&a), code_sha256(&b));
        // Local header, then the file name and the data verbatim.
        assert_eq!(&a[0..4], &[0x50, 0x4b, 0x03, 0x04]);
        let name_len = usize::from(u16::from_le_bytes([a[26], a[27]]));
        assert_eq!(&a[30..30 + name_len], FILE_NAME.as_bytes());
        let data = &a[30 + name_len..30 + name_len + SOURCE.len()];
        assert_eq!(data, SOURCE.as_bytes());
        // End of central directory points back at the directory.
        let eocd = a.len() - 22;
        assert_eq!(&a[eocd..eocd + 4], &[0x50, 0x4b, 0x05, 0x06]);
        let cd_offset =
            u32::from_le_bytes([a[eocd + 16], a[eocd + 17], a[eocd + 18], a[eocd + 19]]);
        assert_eq!(u16::from_le_bytes([a[eocd + 10], a[eocd + 11]]), 2);
        assert_eq!(
            &a[cd_offset as usize..cd_offset as usize + 4],
            &[0x50, 0x4b, 0x01, 0x02]
        );
        let crc = u32::from_le_bytes([a[14], a[15], a[16], a[17]]);
        assert_eq!(crc, crc32(SOURCE.as_bytes()));
    }

    #[test]
    fn handler_never_returns_or_logs_secret_values() {
        // The handler's only return is the cluster id and it does not print.
        assert!(SOURCE.contains("return {\"ClusterId\": cluster_id}"));
        assert!(!SOURCE.contains("print("));
        assert!(!SOURCE.contains("logging"));
    }
}
