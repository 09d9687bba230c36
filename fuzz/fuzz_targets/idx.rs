//! The IDX reader on arbitrary bytes: raw, and through the gzip detection that `read_idx_*` use.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use nca_data::idx::{gunzip_if_gz, parse_idx_images, parse_idx_labels};

fn parse(bytes: Vec<u8>) {
    let path = Path::new("fuzz.idx");
    if let Ok(images) = parse_idx_images(path, bytes.clone()) {
        assert_eq!(images.pixels.len(), images.count * images.image_len());
        assert!(images.get(images.count - 1).is_some() && images.get(images.count).is_none());
    }
    if let Ok(labels) = parse_idx_labels(path, bytes) {
        assert!(!labels.labels.is_empty());
    }
}

fuzz_target!(|data: &[u8]| {
    parse(data.to_vec());
    if data.starts_with(&[0x1f, 0x8b])
        && let Ok(unzipped) = gunzip_if_gz(Path::new("fuzz.idx.gz"), data.to_vec())
    {
        parse(unzipped);
    }
});
