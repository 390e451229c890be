//! Display profiles: panel size and the font sizes that suit it.

/// A display the kiosk can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// Name used on the command line (`anslag preview --profile`).
    pub name: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// A colour LCD (RGB565) rather than 1-bit e-paper: drawn in two colours, no refresh care.
    pub color: bool,
    /// Font size class: 0 small panels, 1 large ones.
    pub large: bool,
}

impl Profile {
    /// Bytes of a 1-bit frame for this panel.
    pub const fn frame_bytes(&self) -> usize {
        crate::framebuf::FrameBuf::bytes_for(self.width, self.height)
    }
}

/// Waveshare 7.5" V2 e-paper, 800×480, 1-bit.
pub const EPD_7IN5: Profile = Profile {
    name: "epd-7in5",
    width: 800,
    height: 480,
    color: false,
    large: true,
};
/// Waveshare 4.2" e-paper, 400×300, 1-bit.
pub const EPD_4IN2: Profile = Profile {
    name: "epd-4in2",
    width: 400,
    height: 300,
    color: false,
    large: false,
};
/// ILI9341 LCD, 320×240, RGB565.
pub const LCD_320X240: Profile = Profile {
    name: "lcd-320x240",
    width: 320,
    height: 240,
    color: true,
    large: false,
};

/// Every profile, for lookups by name.
pub const ALL: [Profile; 3] = [EPD_7IN5, EPD_4IN2, LCD_320X240];

/// The profile called `name`.
pub fn by_name(name: &str) -> Option<Profile> {
    ALL.iter().copied().find(|p| p.name == name)
}

/// The profile called `name`, for command lines (`--profile`, a clap `value_parser`).
///
/// # Errors
/// [`UnknownProfile`], whose message lists the names there are.
pub fn parse(name: &str) -> Result<Profile, UnknownProfile> {
    by_name(name).ok_or(UnknownProfile)
}

/// A name that is none of [`ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownProfile;

impl core::fmt::Display for UnknownProfile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("unknown profile (choose one of: ")?;
        for (i, p) in ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(p.name)?;
        }
        f.write_str(")")
    }
}

impl core::error::Error for UnknownProfile {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_names_every_profile_when_it_does_not_know_one() {
        for p in ALL {
            assert_eq!(parse(p.name), Ok(p));
        }
        assert_eq!(
            std::format!("{}", parse("epd-9in7").unwrap_err()),
            "unknown profile (choose one of: epd-7in5, epd-4in2, lcd-320x240)"
        );
    }
}
