//! CRC-32/ISO-HDLC (the zlib/PNG/Ethernet CRC) over bundles and frames.
//!
//! ```
//! assert_eq!(anslag_core::checksum::crc32(b"123456789"), 0xCBF4_3926);
//! ```
//!
//! One function for every CRC in anslag; the backend differs by target, the value never:
//! hosts (`std`) use `crc32fast`, which picks PCLMULQDQ/ARMv8 CRC instructions at run time
//! (the decode benchmark in BENCHMARKS.md spent 20–30% of its time in a table-driven CRC
//! before); microcontrollers use the `crc` crate's 1 KiB bytewise table to save flash.

#[cfg(not(feature = "std"))]
static CRC32: crc::Crc<u32, crc::Table<1>> =
    crc::Crc::<u32, crc::Table<1>>::new(&crc::CRC_32_ISO_HDLC);

/// CRC-32/ISO-HDLC of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    #[cfg(feature = "std")]
    return crc32fast::hash(bytes);
    #[cfg(not(feature = "std"))]
    return CRC32.checksum(bytes);
}

/// Incremental CRC-32/ISO-HDLC, for data that arrives in pieces (a bundle streamed into a
/// flash slot).
#[derive(Clone)]
pub struct Crc32 {
    #[cfg(feature = "std")]
    digest: crc32fast::Hasher,
    #[cfg(not(feature = "std"))]
    digest: crc::Digest<'static, u32, crc::Table<1>>,
}

impl core::fmt::Debug for Crc32 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Crc32").finish_non_exhaustive()
    }
}

impl Default for Crc32 {
    fn default() -> Self {
        Crc32::new()
    }
}

impl Crc32 {
    /// A fresh CRC.
    pub fn new() -> Self {
        Crc32 {
            #[cfg(feature = "std")]
            digest: crc32fast::Hasher::new(),
            #[cfg(not(feature = "std"))]
            digest: CRC32.digest(),
        }
    }

    /// Adds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        self.digest.update(bytes);
    }

    /// The CRC of everything added.
    pub fn finalize(self) -> u32 {
        self.digest.finalize()
    }
}

#[cfg(all(test, feature = "std"))]
mod backends_agree {
    proptest::proptest! {
        #[test]
        fn host_and_mcu_backends_give_the_same_crc(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let mcu = crc::Crc::<u32, crc::Table<1>>::new(&crc::CRC_32_ISO_HDLC).checksum(&data);
            proptest::prop_assert_eq!(super::crc32(&data), mcu);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pieces_equal_whole() {
        let data = b"Ieeja brieva. Eintritt frei.";
        let mut c = super::Crc32::new();
        for chunk in data.chunks(5) {
            c.update(chunk);
        }
        assert_eq!(c.finalize(), super::crc32(data));
    }
}
